/// `job.add`.
public struct JobAddParams: WireParams, Equatable {
    public var name = ""
    public var set: String?
    public var cron: String?
    public var every: String?
    public var jitter: String?
    public var catchUp = true
    public init() {}
    public init(name: String, set: String?, cron: String?, every: String?, jitter: String?, catchUp: Bool) {
        self.name = name
        self.set = set
        self.cron = cron
        self.every = every
        self.jitter = jitter
        self.catchUp = catchUp
    }
    public static let fields: [WireField<JobAddParams>] = [
        .name("name", \.name, "The job's name: 1-64 of a-z, 0-9, '-' and '_'."),
        .optional("set", \.set, "The set to back up; needed when several are configured."),
        .optional("cron", \.cron, "A cron expression (give cron or every)."),
        .optional("every", \.every, "An interval of at least 1m, like 6h."),
        .optional("jitter", \.jitter, "The largest random delay added to each run, like 5m."),
        .defaulted("catch_up", \.catchUp, default: true, "Run once at start for slots missed while pacad was down."),
    ]
}

/// `job.remove`, `job.pause`, `job.resume`.
public struct JobNameParams: WireParams, Equatable {
    public var name = ""
    public init() {}
    public init(name: String) { self.name = name }
    public static let fields: [WireField<JobNameParams>] = [.name("name", \.name, "The job.")]
}

/// `job.run`.
public struct JobRunParams: WireParams, Equatable {
    public var name = ""
    public var wait = true
    public var progress = false
    public init() {}
    public init(name: String, wait: Bool = true, progress: Bool = false) {
        self.name = name
        self.wait = wait
        self.progress = progress
    }
    public static let fields: [WireField<JobRunParams>] = [
        .name("name", \.name, "The job."),
        .defaulted("wait", \.wait, default: true, "Reply when the backup has ended; false: as soon as it started."),
        .defaulted("progress", \.progress, default: false, "Send progress notifications before the reply."),
    ]
}

/// `events.list`.
public struct EventsListParams: WireParams, Equatable {
    public var job: String?
    public var limit: Int64?
    public init() {}
    public init(job: String?, limit: Int64?) {
        self.job = job
        self.limit = limit
    }
    public static let fields: [WireField<EventsListParams>] = [
        .optional("job", \.job, "Only this job's events."),
        .optional("limit", \.limit, in: 1...1000, "The newest N events (default 100)."),
    ]
}

/// `trigger.fire`.
public struct TriggerFireParams: WireParams, Equatable {
    public var kind = TriggerKind.trainingStart
    public var set: String?
    public var reason: String?
    public var wait = true
    public var progress = false
    public init() {}
    public init(kind: TriggerKind, set: String?, reason: String?, wait: Bool = true, progress: Bool = false) {
        self.kind = kind
        self.set = set
        self.reason = reason
        self.wait = wait
        self.progress = progress
    }
    public static let fields: [WireField<TriggerFireParams>] = [
        .required(
            "kind", \.kind, "training_start, training_end, config_change or shutdown (the sets that list it), or emergency (every set)."),
        .optional("set", \.set, "Only this set, which must list the trigger; none for an emergency."),
        .text("reason", \.reason, "Why, recorded in the catalog: at most 1000 characters, no control characters."),
        .defaulted("wait", \.wait, default: true, "Reply when every backup has ended."),
        .defaulted("progress", \.progress, default: false, "Send progress notifications (for one set) before the reply."),
    ]
}
