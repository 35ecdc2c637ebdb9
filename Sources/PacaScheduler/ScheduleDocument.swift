import PacaCore

/// The on-disk shape of `<state_dir>/schedule.json`: every job's state (so the cadence survives a
/// restart) and the bounded history of schedule events.
struct ScheduleDocument: Codable {
    static let currentVersion = 1

    struct Entry: Codable {
        var job: ScheduledJob
        var origin: JobOrigin
        var lastBackup: String?

        enum CodingKeys: String, CodingKey {
            case job, origin
            case lastBackup = "last_backup"
        }
    }

    var version: Int
    var jobs: [String: Entry]
    var events: [ScheduleEvent]
}

/// Where a job comes from: the config file (changed by editing it) or `job.add` (kept in
/// `schedule.json` until `job.remove`).
public enum JobOrigin: String, Sendable, Codable {
    case config, runtime
}
