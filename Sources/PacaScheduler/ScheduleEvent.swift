import PacaCore

/// One thing the scheduler did or decided, for `events.list`: a job fired, caught up, was skipped
/// (busy or missed), and how the backup it started ended.
public struct ScheduleEvent: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        case fired
        /// Ran once for slots missed while the daemon was down.
        case caughtUp = "caught_up"
        /// A slot came while the job's previous run was still going.
        case skippedBusy = "skipped_busy"
        /// Slots passed while the daemon was down and the job has `catch_up: false`.
        case skippedMissed = "skipped_missed"
        case completed
        /// The run's backup is partial: some files could not be read (the detail says how many).
        case partial
        case failed
    }

    /// Unix seconds.
    public var time: Int64
    public var job: String
    public var kind: Kind
    /// The backup the event is about, when there is one.
    public var backup: String?
    public var detail: String?

    enum CodingKeys: String, CodingKey {
        case time, job, kind, backup, detail
    }

    public init(time: Int64, job: String, kind: Kind, backup: String? = nil, detail: String? = nil) {
        self.time = time
        self.job = job
        self.kind = kind
        self.backup = backup
        self.detail = detail
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(CivilTime(unixSeconds: time).rfc3339, forKey: .time)
        try container.encode(job, forKey: .job)
        try container.encode(kind, forKey: .kind)
        try container.encode(backup, forKey: .backup)
        try container.encode(detail, forKey: .detail)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let text = try container.decode(String.self, forKey: .time)
        guard let civil = CivilTime(rfc3339: text) else {
            throw DecodingError.dataCorruptedError(forKey: .time, in: container, debugDescription: "not an RFC 3339 time")
        }
        time = civil.unixSeconds
        job = try container.decode(String.self, forKey: .job)
        kind = try container.decode(Kind.self, forKey: .kind)
        backup = try container.decodeIfPresent(String.self, forKey: .backup)
        detail = try container.decodeIfPresent(String.self, forKey: .detail)
    }
}
