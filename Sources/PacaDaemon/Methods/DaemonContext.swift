public import Logging
public import PacaCatalog
public import PacaData
public import PacaEngine
public import PacaFiles
public import PacaScheduler
public import PacaSystem
public import PacaWatch

/// What the control methods work with: the engine, its catalog, the configuration and facts about
/// this daemon process.
public struct DaemonContext: Sendable {
    public let engine: BackupEngine
    public let catalog: Catalog
    public let scheduler: Scheduler
    public let changes: ChangeTrigger
    public let data: DataManager
    public let configuration: ConfigurationStore
    public let clock: ServiceClock
    /// Unix seconds when the daemon started.
    public let startedAt: Double
    public let socketPath: String
    public let logger: Logger
    /// Who called what, hash-chained (`<state_dir>/audit.log`).
    public let audit: AuditLog
    /// Long operations running per caller (`limits:`).
    public let quota = CallerQuota()
    /// Dashboard logins and sessions, when pacad serves HTTP (`http:`).
    public let web: WebSessions?
    /// What every backup held, path by path (nil when it could not be opened).
    public let files: FileIndex?

    public init(
        engine: BackupEngine, catalog: Catalog, scheduler: Scheduler, changes: ChangeTrigger, data: DataManager,
        configuration: ConfigurationStore, clock: ServiceClock,
        startedAt: Double,
        socketPath: String, logger: Logger, audit: AuditLog, web: WebSessions? = nil, files: FileIndex? = nil
    ) {
        self.web = web
        self.files = files
        self.engine = engine
        self.catalog = catalog
        self.scheduler = scheduler
        self.changes = changes
        self.data = data
        self.configuration = configuration
        self.clock = clock
        self.startedAt = startedAt
        self.socketPath = socketPath
        self.logger = logger
        self.audit = audit
    }
}

/// pacad's version, reported by `daemon.status` and `pacad --version`.
public enum PacaVersion {
    public static let current = "0.13.0"
}
