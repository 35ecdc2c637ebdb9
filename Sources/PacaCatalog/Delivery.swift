import PacaCore

/// The archive of one backup on one target.
public struct Delivery: Sendable, Equatable, Codable {
    public enum Status: String, Sendable, Codable {
        /// Not written yet (the backup is running, or a retry is due).
        case pending
        /// On the target, complete, with its sidecar.
        case ok
        /// Could not be written; ``Delivery/error`` says why and ``Delivery/nextAttemptAt`` when
        /// it is tried again (copied from a target that has it).
        case failed
        /// Being removed by retention (or removal was cut short by a crash): finished at the next
        /// prune or start, never read from.
        case deleting
    }

    public var target: String
    public var status: Status
    /// Where the archive is (or goes) on the target: a path or `s3://bucket/key`.
    public var location: String
    public var error: String?
    /// Attempts made so far.
    public var attempts: Int
    /// Unix seconds.
    public var deliveredAt: Int64?
    public var nextAttemptAt: Int64?
    /// When a scrub last read this copy back and found it as written, Unix seconds.
    public var verifiedAt: Int64?

    public init(
        target: String, status: Status, location: String, error: String? = nil, attempts: Int = 0, deliveredAt: Int64? = nil,
        nextAttemptAt: Int64? = nil
    ) {
        self.target = target
        self.status = status
        self.location = location
        self.error = error
        self.attempts = attempts
        self.deliveredAt = deliveredAt
        self.nextAttemptAt = nextAttemptAt
    }

    enum CodingKeys: String, CodingKey {
        case target, status, location, error, attempts
        case deliveredAt = "delivered_at"
        case nextAttemptAt = "next_attempt_at"
        case verifiedAt = "verified_at"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        target = try c.decode(String.self, forKey: .target)
        status = try c.decode(Status.self, forKey: .status)
        location = try c.decode(String.self, forKey: .location)
        error = try c.decodeIfPresent(String.self, forKey: .error)
        attempts = try c.decodeIfPresent(Int.self, forKey: .attempts) ?? 0
        deliveredAt = try BackupRecord.time(c, .deliveredAt)
        nextAttemptAt = try BackupRecord.time(c, .nextAttemptAt)
        verifiedAt = try BackupRecord.time(c, .verifiedAt)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(target, forKey: .target)
        try c.encode(status, forKey: .status)
        try c.encode(location, forKey: .location)
        try c.encode(error, forKey: .error)
        try c.encode(attempts, forKey: .attempts)
        try c.encode(deliveredAt.map { CivilTime(unixSeconds: $0).rfc3339 }, forKey: .deliveredAt)
        try c.encode(nextAttemptAt.map { CivilTime(unixSeconds: $0).rfc3339 }, forKey: .nextAttemptAt)
        try c.encode(verifiedAt.map { CivilTime(unixSeconds: $0).rfc3339 }, forKey: .verifiedAt)
    }
}
