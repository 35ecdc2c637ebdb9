/// A target as `status` shows it.
public struct TargetState: Sendable, Equatable {
    public var name: String
    public var type: String
    /// The path or `http(s)://host/bucket/prefix` (never credentials).
    public var location: String
    /// Why the target cannot be used now; nil when the last check passed.
    public var problem: String?
    public var freeBytes: UInt64?
    /// Unix seconds of the last check.
    public var checkedAt: Int64?
    /// Unix seconds of the last archive delivered to it.
    public var lastDeliveryAt: Int64?
    /// Deliveries to it that failed and wait for a retry.
    public var failedDeliveries: Int
    /// Each copy is read back at least this often, seconds; nil when scrubbing is off.
    public var scrubEvery: Int64?
    /// How long ago the copy checked longest ago was last read back and found good (or
    /// delivered, never read back), seconds; nil without copies.
    public var oldestUnverifiedSeconds: Int64?
    /// When the last scrub pass of this target ended, Unix seconds.
    public var lastScrubAt: Int64?

    /// A target nothing is known of yet.
    public init(name: String) {
        self.name = name
        type = ""
        location = ""
        failedDeliveries = 0
    }
}
