public import Logging
public import PacaCatalog
public import PacaConfig
import PacaCore
import PacaData
public import PacaEngine
import PacaFiles
import PacaScheduler
public import PacaSystem
public import PacaTargets
import PacaWatch
import ServiceLifecycle

/// pacad put together: the catalog loaded and repaired, the record stores opened, partial
/// archives swept, and the services in one `ServiceGroup`. They start in list order and stop in
/// reverse, so the engine stops (finishing or cancelling backups) while the control server still
/// answers. The `pacad` executable makes one from its flags; tests make one with a manual clock.
public final class Daemon: Sendable {
    /// How the daemon runs, besides its configuration.
    public struct Options: Sendable {
        /// How long a client may leave a frame half-sent.
        public var stallTimeout: Duration = .seconds(10)
        /// How long a stop waits for running backups before cancelling them.
        public var stopTimeout: Duration = .seconds(60)
        public var timing = BackupEngine.Timing()
        /// The clock every service sleeps, times out and records on.
        public var clock: ServiceClock = .system
        /// Stop on SIGTERM and SIGINT, reload on SIGHUP (off for a daemon inside a test process).
        public var handlesSignals = true
        /// Builds the targets (credentials from the environment, `{host}` in prefixes).
        public var targets: TargetFactory?

        public init() {}
    }

    /// Why pacad could not start.
    public struct LaunchError: Error, CustomStringConvertible {
        public var description: String
        public var underlying: (any Error)?
    }

    /// The socket the daemon listens on.
    public let socketPath: String
    public let catalog: Catalog
    public let engine: BackupEngine
    /// What answers requests (the socket's connections go through it; tests call it directly).
    public let router: MethodRouter
    private let group: ServiceGroup

    /// Opens everything the daemon needs; the services start with ``run()``.
    public init(config: DaemonConfig, configFile: String?, logger: Logger, options: Options = Options()) async throws(LaunchError) {
        let clock = options.clock
        let startedAt = clock.now()
        var groupID: UInt32?
        if let name = config.socketGroup {
            guard let gid = ProcessFacts.groupID(named: name) else {
                throw LaunchError(description: "socket_group \"\(name)\" is not a group on this system")
            }
            groupID = gid
        }
        let socketPath = Self.socketPath(configured: config.socketPath)

        let catalog: Catalog
        do {
            let (opened, recovery) = try await Catalog.open(stateDirectory: config.stateDirectory, clock: clock.wall)
            catalog = opened
            for id in recovery.interrupted {
                logger.warning("backup was interrupted by the last stop; marked as such", metadata: ["backup.id": "\(id)"])
            }
        } catch {
            throw LaunchError(description: error.message, underlying: error)
        }

        let data: DataManager
        do { data = try await DataManager.open(config.stores, catalog: catalog, clock: clock.wall) } catch {
            throw LaunchError(description: error.message, underlying: error)
        }
        for (name, store) in data.stores.sorted(by: { $0.key < $1.key }) {
            guard let file = store as? FileStore, file.recoveredBytes > 0 else { continue }
            logger.warning(
                "a record log ended in a write cut short by a crash; the unacknowledged entry was cut off",
                metadata: ["store.name": "\(name)", "file.path": "\(file.path)", "store.cut_bytes": "\(file.recoveredBytes)"])
        }
        let localZone = ZoneDatabase.local()
        let files = await Self.openFileIndex(config: config, catalog: catalog, logger: logger)
        let engine = BackupEngine(
            config: config, catalog: catalog, clock: clock, logger: logger, factory: options.targets ?? .system(clock: clock),
            timing: options.timing, zone: localZone, files: files)
        for note in await engine.prepareLocal() {
            logger.notice("target cleanup at start", metadata: ["target.note": "\(note)"])
        }
        if let files { await Self.resumeFileIndex(files, catalog: catalog, engine: engine, logger: logger) }
        let leftCaptures = await BlockingPool.shared.run { MethodRouter.clearCaptures(config) }
        if leftCaptures > 0 {
            logger.warning(
                "checkpoint captures the last run had not backed up were dropped with it",
                metadata: ["capture.count": "\(leftCaptures)"])
        }
        let scheduler: Scheduler
        do {
            scheduler = try await Scheduler.open(
                stateDirectory: config.stateDirectory, jobs: config.jobs, engine: engine, clock: clock,
                zones: { name in name.flatMap { try? ZoneDatabase.zone(named: $0) } ?? localZone }, logger: logger)
        } catch {
            throw LaunchError(description: error.message, underlying: error)
        }
        let changes = ChangeTrigger(engine: engine, clock: clock, logger: logger)
        await changes.apply(config)
        let configuration = ConfigurationStore(
            config: config, file: configFile, engine: engine, scheduler: scheduler, changes: changes, clock: clock, logger: logger)
        let sessions = config.http.map { WebSessions(http: $0, clock: clock) }
        let context = DaemonContext(
            engine: engine, catalog: catalog, scheduler: scheduler, changes: changes, data: data, configuration: configuration,
            clock: clock, startedAt: startedAt, socketPath: socketPath, logger: logger,
            audit: AuditLog(stateDirectory: config.stateDirectory, settings: config.audit, clock: clock, logger: logger), web: sessions,
            files: files)
        let notifier = SystemdNotifier()
        let readiness = Readiness()
        let status = StatusService(engine: engine, catalog: catalog, notifier: notifier, clock: clock, readiness: readiness)
        var settings = ControlServer.Settings(
            socketPath: socketPath, policy: AccessPolicy(ownUID: ProcessFacts.uid, groupID: groupID), socketGroupID: groupID,
            stallTimeout: options.stallTimeout, clock: clock)
        settings.maximumConnections = config.limits.connections
        settings.idleTimeout = .seconds(config.limits.idleTimeout)
        switch SocketActivation.take(expecting: socketPath) {
        case .none: break
        case .socket(let descriptor, let isAtPath):
            settings.activatedSocket = descriptor
            if !isAtPath {
                logger.warning(
                    "the socket systemd passed is not at the configured socket path; clients that look there will not find pacad",
                    metadata: ["socket.path": "\(socketPath)"])
            }
        case .unusable(let why):
            throw LaunchError(description: why, underlying: nil)
        }
        router = MethodRouter(context: context)
        let server = ControlServer(settings: settings, router: router, logger: logger) {
            readiness.markReady()
            let backups = await catalog.count
            logger.info(
                "ready",
                metadata: [
                    "socket.path": "\(socketPath)", "config.file": "\(configFile ?? "embedded default")", "catalog.backups": "\(backups)",
                ])
            for warning in config.warnings { logger.warning("configuration warning", metadata: ["config.warning": "\(warning)"]) }
        }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: server, serviceName: "control-server")]
        if let http = config.http, let sessions {
            let web = WebServer(
                http: http, limits: config.limits, daemon: context, router: router, sessions: sessions,
                metricsCache: MetricsCache(clock: clock), ownUID: ProcessFacts.uid,
                groupID: groupID, logger: logger)
            services.append(.init(service: try web.application(), serviceName: "http"))
        }
        if options.handlesSignals {
            services.append(.init(service: ReloadService(configuration: configuration, logger: logger), serviceName: "reload"))
        }
        services += [
            .init(service: status, serviceName: "status"),
            .init(
                service: EngineService(engine: engine, configuration: configuration, notifier: notifier, grace: options.stopTimeout),
                serviceName: "engine"),
            // After the engine, so they stop first: no new scheduled or file-change backup
            // starts while the engine stops.
            .init(
                service: TargetService(
                    engine: engine, interval: options.timing.checkInterval, scrubInterval: options.timing.scrubInterval, clock: clock,
                    logger: logger),
                serviceName: "targets"),
            .init(service: ChangeTriggerService(changes: changes), serviceName: "change-trigger"),
            .init(service: SchedulerService(scheduler: scheduler), serviceName: "scheduler"),
        ]
        var groupConfiguration = ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: options.handlesSignals ? [.sigterm, .sigint] : [], logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = options.stopTimeout + .seconds(15)
        self.socketPath = socketPath
        self.catalog = catalog
        self.engine = engine
        group = ServiceGroup(configuration: groupConfiguration)
    }

    /// Runs the services until a graceful stop (a signal, or ``stop()``) has ended them all.
    public func run() async throws(LaunchError) {
        do { try await group.run() } catch {
            throw LaunchError(description: "\(error)", underlying: error)
        }
    }

    /// Stops the daemon as SIGTERM would.
    public func stop() async {
        await group.triggerGracefulShutdown()
    }

    /// The file index, with the manifest copies a stop left submitted again; nil (logged) when it
    /// cannot be opened: backups go on, only the dashboard's file pages are missing.
    static func openFileIndex(config: DaemonConfig, catalog: Catalog, logger: Logger) async -> FileIndex? {
        let files: FileIndex
        do { files = try await FileIndex.open(stateDirectory: config.stateDirectory, logger: logger) } catch {
            logger.warning("the file index cannot be used; backups go on without it", metadata: ["error": "\(error)"])
            return nil
        }
        return files
    }

    /// Queues what the file index lacks (``FileIndex/resume(catalog:fetch:)``): the manifest
    /// copies a stop left, and every whole-set backup it does not hold yet, read from its archive.
    static func resumeFileIndex(_ files: FileIndex, catalog: Catalog, engine: BackupEngine, logger: Logger) async {
        let backups = await catalog.list().compactMap { record -> FileIndex.CatalogBackup? in
            guard record.isRestorePoint, !record.retired, record.checkpoint == nil, let sequence = record.sequence else { return nil }
            return FileIndex.CatalogBackup(
                id: record.id, set: record.set, sequence: sequence, createdAt: record.startedAt, sealed: record.sealed)
        }
        let resumed = await files.resume(catalog: backups, fetch: ManifestFetch.reading(from: engine))
        if resumed.fromArchives > 0 {
            logger.notice(
                "file index: reading the manifests of earlier backups from their archives",
                metadata: ["files.backups": "\(resumed.fromArchives)", "files.copies": "\(resumed.copies)"])
        }
    }

    /// Under systemd `$RUNTIME_DIRECTORY/pacad.sock` wins over the configured path (the unit owns `/run/paca`).
    static func socketPath(configured: String) -> String {
        guard let runtime = ProcessFacts.environment("RUNTIME_DIRECTORY"), let first = runtime.split(separator: ":").first else {
            return configured
        }
        return first + "/pacad.sock"
    }
}
