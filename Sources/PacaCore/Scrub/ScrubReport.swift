/// What a scrub pass of one target did.
public struct ScrubReport: Sendable, Equatable {
    public var target: String
    /// Copies read back and found as written (their SHA-256 and manifest those in the catalog).
    public var verified: [String] = []
    /// Copies found damaged or missing, with the first thing wrong: each is marked failed, so the
    /// delivery retry copies it again from a good copy on another target.
    public var damaged: [String: String] = [:]
    /// Of those, the ones copied again during the pass.
    public var repaired: [String] = []
    /// Backups with no good copy left on any target, now marked `damaged`.
    public var lost: [String] = []
    /// Copies not read this time, with why (being written or deleted, the target unreachable).
    public var skipped: [String: String] = [:]
    /// Bytes read back.
    public var bytes: UInt64 = 0
    public var seconds: Double = 0

    public init(target: String) { self.target = target }
}
