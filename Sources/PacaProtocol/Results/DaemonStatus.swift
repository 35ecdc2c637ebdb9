/// What `daemon.status` answers: what the daemon is doing, each set's last backup, the targets'
/// health and where things are. Read from memory only.
public struct DaemonStatus: WireObject, Equatable {
    public var version = ""
    public var pid: Int64 = 0
    public var state = DaemonState.idle
    public var statusLine = ""
    public var startedAt = Timestamp(unixSeconds: 0)
    public var uptimeSeconds: Int64 = 0
    public var config = ""
    public var socket = ""
    public var stateDirectory = ""
    public var activities: [Activity] = []
    public var queued: [String] = []
    public var sets: [SetStatus] = []
    public var targets: [TargetStatus] = []
    public var catalog = CatalogSummary()
    public var jobs: [JobDue] = []
    public var damaged: [DamagedBackup] = []
    public init() {}
    public static let fields: [WireField<DaemonStatus>] = [
        .required("version", \.version, "pacad's version."),
        .required("pid", \.pid, "The daemon's process id."),
        .required("state", \.state, "idle, busy or stopping."),
        .required("status_line", \.statusLine, "The line systemd shows."),
        .required("started_at", \.startedAt, "When the daemon started."),
        .required("uptime_seconds", \.uptimeSeconds, "Seconds since then."),
        .required("config", \.config, "The configuration file, or `embedded default`."),
        .required("socket", \.socket, "The control socket."),
        .required("state_dir", \.stateDirectory, "The state directory."),
        .required("activities", \.activities, "Each running backup, restore or verify with its progress."),
        .required("queued", \.queued, "Sets with a follow-up backup waiting."),
        .required("sets", \.sets, "Each configured set."),
        .required("targets", \.targets, "Each configured target."),
        .required("catalog", \.catalog, "The catalog's size."),
        .required("jobs", \.jobs, "Each job and when it runs next."),
        .defaulted(
            "damaged", \.damaged, default: [], "Backups a scrub found with no good copy left on any target, with the files they lost."),
    ]
}

/// A backup with no good copy left, in `status`.
public struct DamagedBackup: WireObject, Equatable {
    public var id = ""
    public var set = ""
    public var lost: [String] = []
    public var error = ""
    public init() {}
    public static let fields: [WireField<DamagedBackup>] = [
        .required("id", \.id, "The backup."),
        .required("set", \.set, "Its set."),
        .required("lost", \.lost, "The files no copy holds intact; empty when the whole archive is gone or unreadable."),
        .required("error", \.error, "What the scrub found."),
    ]
}

public enum DaemonState: String, WireEnum {
    case idle, busy, stopping
}

/// An operation in progress, with its counters.
public struct Activity: WireObject, Equatable {
    public var kind = ActivityKind.backup
    public var set = ""
    public var startedAt = Timestamp(unixSeconds: 0)
    public var progress = Progress()
    public init() {}
    public static let fields: [WireField<Activity>] =
        [
            .required("kind", \.kind, "backup, restore, verify or scrub."),
            .required("set", \.set, "The set."),
            .required("started_at", \.startedAt, "When it started."),
        ] + Progress.fields.map { $0.nested(in: \.progress) }
}

public enum ActivityKind: String, WireEnum {
    case backup, restore, verify, scrub
}

/// A set in `status`.
public struct SetStatus: WireObject, Equatable {
    public var name = ""
    public var paths: [String] = []
    public var targets: [String] = []
    public var lastBackup: LastBackup?
    public var queued = false
    public var triggers: [String] = []
    public var watch: WatchStatus?
    public var rpo: RecoveryPointStatus?
    public init() {}
    public static let fields: [WireField<SetStatus>] = [
        .required("name", \.name, "The set."),
        .required("paths", \.paths, "What it backs up."),
        .required("targets", \.targets, "Where its archives go."),
        .optional("last_backup", \.lastBackup, "Its newest backup."),
        .required("queued", \.queued, "A follow-up backup waits behind a running one."),
        .required("triggers", \.triggers, "The events it is backed up on."),
        .optional("watch", \.watch, "For a set that takes config_change: what it watches and whether changes wait."),
        .optional(
            "rpo", \.rpo, "For a set with a recovery point objective (`rpo`): how old its recovery point is, and whether that is too old.",
            omittedWhenNil: true),
    ]
}

/// A set's recovery point against its objective, in `status`.
public struct RecoveryPointStatus: WireObject, Equatable {
    public var targetSeconds: Int64 = 0
    public var ageSeconds: Int64?
    public var past = false
    public var lastCompleteAt: Timestamp?
    public init() {}
    public static let fields: [WireField<RecoveryPointStatus>] = [
        .required("target_seconds", \.targetSeconds, "The objective: the newest complete backup should be at most this old."),
        .optional(
            "age_seconds", \.ageSeconds, "Seconds since the newest complete backup of the whole set started; absent when there is none.",
            omittedWhenNil: true),
        .required("past", \.past, "True when the recovery point is older than the objective, or there is none."),
        .optional("last_complete_at", \.lastCompleteAt, "When that backup ended."),
    ]
}

/// A set's newest backup, in `status`.
public struct LastBackup: WireObject, Equatable {
    public var id = ""
    public var status = BackupStatus.complete
    public var type = BackupType.full
    public var finishedAt: Timestamp?
    public init() {}
    public static let fields: [WireField<LastBackup>] = [
        .required("id", \.id, "The backup."),
        .required("status", \.status, "How it went."),
        .defaulted("type", \.type, default: .full, "full or incremental."),
        .optional("finished_at", \.finishedAt, "When it ended."),
    ]
}

/// The config_change trigger of one set, in `status`.
public struct WatchStatus: WireObject, Equatable {
    public var paths: [String] = []
    public var debounceSeconds: Int64 = 0
    public var dueInSeconds: Double?
    public var lastChange: String?
    public init() {}
    public static let fields: [WireField<WatchStatus>] = [
        .required("paths", \.paths, "The watched paths."),
        .required("debounce_seconds", \.debounceSeconds, "The quiet period."),
        .optional("due_in_seconds", \.dueInSeconds, "Seconds until the pending backup starts, when changes wait for their quiet period."),
        .optional("last_change", \.lastChange, "The last path that changed."),
    ]
}

/// A target in `status`.
public struct TargetStatus: WireObject, Equatable {
    public var name = ""
    public var type = ""
    public var location = ""
    public var healthy: Bool?
    public var problem: String?
    public var freeBytes: Int64?
    public var checkedAt: Timestamp?
    public var lastDeliveryAt: Timestamp?
    public var failedDeliveries = 0
    public var scrubEverySeconds: Int64?
    public var oldestUnverifiedSeconds: Int64?
    public var lastScrubAt: Timestamp?
    public init() {}
    public static let fields: [WireField<TargetStatus>] = [
        .required("name", \.name, "The target."),
        .required("type", \.type, "directory or s3."),
        .required("location", \.location, "A path, or http(s)://host/bucket/prefix; never credentials."),
        .optional("healthy", \.healthy, "The last check passed; null before the first."),
        .optional("problem", \.problem, "Why it cannot be used now."),
        .optional("free_bytes", \.freeBytes, "Free space, for directory targets."),
        .optional("checked_at", \.checkedAt, "When it was last checked."),
        .optional("last_delivery_at", \.lastDeliveryAt, "When an archive last arrived."),
        .required("failed_deliveries", \.failedDeliveries, "Deliveries that failed and wait for a retry."),
        .optional("scrub_every_seconds", \.scrubEverySeconds, "Each copy is read back at least this often; null when scrubbing is off."),
        .optional(
            "oldest_unverified_seconds", \.oldestUnverifiedSeconds,
            "How long ago the copy checked longest ago was last read back and found good (or delivered, if never); null without copies."),
        .optional("last_scrub_at", \.lastScrubAt, "When the last scrub pass of this target ended."),
    ]
}

public struct CatalogSummary: WireObject, Equatable {
    public var backups = 0
    public init() {}
    public static let fields: [WireField<CatalogSummary>] = [.required("backups", \.backups, "Backups in the catalog.")]
}

/// A job and when it runs next, in `status`.
public struct JobDue: WireObject, Equatable {
    public var name = ""
    public var nextDue: Timestamp?
    public init() {}
    public init(name: String, nextDue: Timestamp?) {
        self.name = name
        self.nextDue = nextDue
    }
    public static let fields: [WireField<JobDue>] = [
        .required("name", \.name, "The job."),
        .optional("next_due", \.nextDue, "When it runs next; null when paused or never."),
    ]
}
