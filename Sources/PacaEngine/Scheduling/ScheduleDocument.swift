import PacaCore

/// The on-disk shape of `<state_dir>/schedule.json`: every job's state (so the cadence survives a
/// restart) and the bounded history of schedule events.
struct ScheduleDocument: Codable {
    static let currentVersion = 1

    struct Entry: Codable {
        var job: ScheduledJob
        /// `config` for jobs from the YAML file, `runtime` for jobs added with `job.add`.
        var origin: String
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
