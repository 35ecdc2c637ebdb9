/// A checkpoint captured for its own backup (`checkpoint.capture`): the archive is made from
/// `source` (its stable copy, laid out as the set path holds it), always full, never a base.
public struct CheckpointBackup: Sendable {
    public var source: String
    public var checkpoint: String
    public var step: Int64?
    public var metrics: [String: Double]?
    /// Files of the copy that changed after the capture (rewritten in place), found once written.
    public var rewritten: @Sendable () -> [String]
    /// Deletes the copy; called once the backup has ended, however it ended.
    public var remove: @Sendable () -> Void
    public init(
        source: String, checkpoint: String, step: Int64?, metrics: [String: Double]?, rewritten: @escaping @Sendable () -> [String],
        remove: @escaping @Sendable () -> Void
    ) {
        (self.source, self.checkpoint, self.step, self.metrics) = (source, checkpoint, step, metrics)
        (self.rewritten, self.remove) = (rewritten, remove)
    }
}
