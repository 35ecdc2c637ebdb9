public import PacaCore

/// A scheduled job.
public struct Job: WireObject, Equatable {
    public static let schemaName: String? = "Job"
    public var name = ""
    public var set = ""
    public var schedule = ""
    public var jitter: String?
    public var catchUp = true
    public var paused = false
    public var running = false
    public var nextDue: Timestamp?
    public var lastRun: Timestamp?
    public var lastBackup: String?
    public var origin = JobOrigin.config
    public init() {}
    public static let fields: [WireField<Job>] = [
        .required("name", \.name, "The job."),
        .required("set", \.set, "The set it backs up."),
        .required("schedule", \.schedule, "The cron expression, or `every 6h`."),
        .optional("jitter", \.jitter, "The largest random delay added to each run, like 5m."),
        .required("catch_up", \.catchUp, "Runs once at start for slots missed while pacad was down."),
        .required("paused", \.paused, "Paused until resumed."),
        .required("running", \.running, "Its backup is running."),
        .optional("next_due", \.nextDue, "When it runs next; null when paused or never."),
        .optional("last_run", \.lastRun, "When it last ran."),
        .optional("last_backup", \.lastBackup, "The backup its last run made."),
        .required("origin", \.origin, "config (the file) or runtime (job.add)."),
    ]
}

public enum JobOrigin: String, WireEnum {
    case config, runtime
}

public struct JobList: WireObject, Equatable {
    public var jobs: [Job] = []
    public init() {}
    public init(jobs: [Job]) { self.jobs = jobs }
    public static let fields: [WireField<JobList>] = [.required("jobs", \.jobs, "Every job, by name.")]
}

/// A job run that was started and not waited for.
public struct JobAdmission: WireObject, Equatable {
    public static let schemaName: String? = "JobAdmission"
    public var job = ""
    public var set = ""
    public var status = AdmissionStatus.running
    public init() {}
    public static let fields: [WireField<JobAdmission>] = [
        .required("job", \.job, "The job."),
        .required("set", \.set, "The set being backed up."),
        .required("status", \.status, "running, or queued behind a running backup of the set."),
    ]
}

/// What `job.run` answers: the backup once it ended, or, with `"wait": false`, that it started.
public enum JobRunResult: WireValue, Equatable {
    case finished(Backup)
    case admitted(JobAdmission)

    public static var wireSchema: JSONValue { ["anyOf": [Backup.wireSchema, JobAdmission.wireSchema]] }
    public static var wireExpectation: String { "a backup or an admission" }
    public static func registerSchemas(in schemas: inout [String: JSONValue]) {
        Backup.registerSchemas(in: &schemas)
        JobAdmission.registerSchemas(in: &schemas)
    }

    public init(wire: JSONValue) throws(WireProblem) {
        self = wire["files"] != nil ? .finished(try Backup(wire: wire)) : .admitted(try JobAdmission(wire: wire))
    }

    public var wire: JSONValue {
        switch self {
        case .finished(let backup): backup.wire
        case .admitted(let admission): admission.wire
        }
    }
}

/// One thing the scheduler did or decided.
public struct JobEvent: WireObject, Equatable {
    public static let schemaName: String? = "JobEvent"
    public var time = Timestamp(unixSeconds: 0)
    public var job = ""
    public var kind = JobEventKind.fired
    public var backup: String?
    public var detail: String?
    public init() {}
    public static let fields: [WireField<JobEvent>] = [
        .required("time", \.time, "When."),
        .required("job", \.job, "The job."),
        .required("kind", \.kind, "fired, caught_up, skipped_busy, skipped_missed, completed or failed."),
        .optional("backup", \.backup, "The backup the event is about."),
        .optional("detail", \.detail, "More about it: a reason, an error."),
    ]
}

public enum JobEventKind: String, WireEnum {
    case fired
    case caughtUp = "caught_up"
    case skippedBusy = "skipped_busy"
    case skippedMissed = "skipped_missed"
    case completed, partial, failed
}

public struct EventList: WireObject, Equatable {
    public var events: [JobEvent] = []
    public init() {}
    public init(events: [JobEvent]) { self.events = events }
    public static let fields: [WireField<EventList>] = [.required("events", \.events, "The newest events, oldest first.")]
}
