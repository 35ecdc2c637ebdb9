public import Logging
public import PacaConfig
import PacaCore
public import PacaEngine
public import PacaScheduler
public import PacaSystem
public import PacaWatch

/// The configuration in force, and its reload (`daemon.reload`, SIGHUP): the file is read and
/// checked as a whole; a bad file changes nothing and the error names every problem. Running work
/// finishes with the settings it started with. Reloads run one at a time, whole: a SIGHUP that
/// comes during a `daemon.reload` waits for it, so the engine, the scheduler and the watcher never
/// end up with settings from two different reads of the file.
public actor ConfigurationStore {
    /// Reads and checks the file (``ConfigLoader/load(file:)``, on the blocking pool); injected for tests.
    public typealias Loader = @Sendable (String) async -> Result<DaemonConfig, ConfigError>
    /// Where the configuration came from: a file, or the embedded default.
    public nonisolated let file: String?
    public private(set) var config: DaemonConfig
    public private(set) var loadedAt: Double
    private let engine: BackupEngine
    private let scheduler: Scheduler
    private let changes: ChangeTrigger
    private let clock: ServiceClock
    private let logger: Logger
    private let load: Loader
    private let reloads = SerialGate()

    public init(
        config: DaemonConfig, file: String?, engine: BackupEngine, scheduler: Scheduler, changes: ChangeTrigger, clock: ServiceClock,
        logger: Logger, load: @escaping Loader = ConfigurationStore.readFile
    ) {
        self.config = config
        self.file = file
        self.engine = engine
        self.scheduler = scheduler
        self.changes = changes
        self.clock = clock
        self.loadedAt = clock.now()
        self.logger = logger
        self.load = load
    }

    /// Reads and checks a configuration file on the blocking pool.
    public static let readFile: Loader = { file in
        await BlockingPool.shared.run { () -> Result<DaemonConfig, ConfigError> in
            Result { () throws(ConfigError) in try ConfigLoader.load(file: file) }
        }
    }

    /// What a reload changed.
    public struct Outcome: Sendable, Equatable {
        public var file: String
        /// Settings that changed in the file but take effect only after a restart.
        public var restartRequired: [String]
        public var sets: [String]
        public var targets: [String]
        public var jobs: [String]
    }

    /// Re-reads the file and applies it, after any reload already under way. Throws the loader's
    /// error (and applies nothing) when the file is unusable.
    public func reload() async throws(ReloadError) -> Outcome {
        try await reloads.run { () async throws(ReloadError) -> Outcome in try await reloadNow() }
    }

    private func reloadNow() async throws(ReloadError) -> Outcome {
        guard let file else { throw .noFile }
        let loaded = await load(file)
        let next: DaemonConfig
        switch loaded {
        case .success(let config): next = config
        case .failure(let error):
            logger.error("configuration reload refused; keeping the one in force", metadata: ["config.file": "\(file)"])
            throw .invalid(error)
        }
        var restart: [String] = []
        if next.socketPath != config.socketPath { restart.append("socket") }
        if next.stateDirectory != config.stateDirectory { restart.append("state_dir") }
        if next.socketGroup != config.socketGroup { restart.append("socket_group") }
        if next.stores != config.stores { restart.append("stores") }
        if next.limits.connections != config.limits.connections { restart.append("limits.connections") }
        if next.limits.idleTimeout != config.limits.idleTimeout { restart.append("limits.idle_timeout") }
        if next.http != config.http { restart.append("http") }
        var applied = next
        applied.socketPath = config.socketPath
        applied.stateDirectory = config.stateDirectory
        applied.socketGroup = config.socketGroup
        applied.stores = config.stores
        applied.limits.connections = config.limits.connections
        applied.limits.idleTimeout = config.limits.idleTimeout
        config = applied
        loadedAt = clock.now()
        await engine.apply(applied)
        await scheduler.apply(applied.jobs)
        await changes.apply(applied)
        logger.info("configuration reloaded", metadata: ["config.file": "\(file)", "config.sets": "\(applied.sets.count)"])
        for warning in applied.warnings { logger.warning("configuration warning", metadata: ["config.warning": "\(warning)"]) }
        return Outcome(
            file: file, restartRequired: restart, sets: applied.sets.map(\.name), targets: applied.targets.map(\.name),
            jobs: applied.jobs.map(\.name))
    }

    public enum ReloadError: Error, Sendable {
        /// pacad runs on the embedded default: there is no file to read again.
        case noFile
        case invalid(ConfigError)
    }
}
