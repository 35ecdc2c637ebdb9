import Logging
import PacaConfig
import PacaDaemon
import PacaData
import PacaEngine
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// Why pacad could not start.
struct LaunchError: Error {
    var message: String
}

/// Wires the daemon together and runs it: loads and repairs the catalog, sweeps partial archives,
/// then runs the services in one `ServiceGroup`. They start in list order and stop in reverse, so
/// the engine stops first (finishing or cancelling backups) while the control server still answers.
struct Launcher {
    let config: DaemonConfig
    let configFile: String?
    let logger: Logger
    let stallTimeout: Duration
    let stopTimeout: Duration
    let timing: BackupEngine.Timing

    func run() async throws {
        let clock = WallClock.system
        let startedAt = clock.now()
        var groupID: UInt32?
        if let name = config.socketGroup {
            guard let gid = Self.groupID(named: name) else {
                throw LaunchError(message: "socket_group \"\(name)\" is not a group on this system")
            }
            groupID = gid
        }
        let socketPath = Self.socketPath(configured: config.socketPath)

        let catalog: Catalog
        do {
            let (opened, recovery) = try await Catalog.open(stateDirectory: config.stateDirectory, clock: clock)
            catalog = opened
            for id in recovery.interrupted {
                logger.warning("backup was interrupted by the last stop; marked as such", metadata: ["backup.id": "\(id)"])
            }
        } catch {
            throw LaunchError(message: error.message)
        }

        let data: DataManager
        do {
            data = try await DataManager.open(config.stores, catalog: catalog, clock: clock)
        } catch {
            throw LaunchError(message: error.message)
        }
        for (name, store) in data.stores.sorted(by: { $0.key < $1.key }) {
            guard let file = store as? FileStore, file.recoveredBytes > 0 else { continue }
            logger.warning(
                "a record log ended in a write cut short by a crash; the unacknowledged entry was cut off",
                metadata: ["store.name": "\(name)", "file.path": "\(file.path)", "store.cut_bytes": "\(file.recoveredBytes)"])
        }
        let localZone = ZoneDatabase.local()
        let engine = BackupEngine(config: config, catalog: catalog, clock: clock, logger: logger, timing: timing, zone: localZone)
        for note in await engine.prepareLocal() {
            logger.notice("target cleanup at start", metadata: ["target.note": "\(note)"])
        }
        let scheduler: Scheduler
        do {
            scheduler = try await Scheduler.open(
                stateDirectory: config.stateDirectory, jobs: config.jobs, engine: engine, clock: clock,
                zones: { name in name.flatMap { try? ZoneDatabase.zone(named: $0) } ?? localZone }, logger: logger)
        } catch {
            throw LaunchError(message: error.message)
        }
        let changes = ChangeTrigger(engine: engine, logger: logger)
        await changes.apply(config)
        let configuration = ConfigurationStore(
            config: config, file: configFile, engine: engine, scheduler: scheduler, changes: changes, clock: clock, logger: logger)
        let context = DaemonContext(
            engine: engine, catalog: catalog, scheduler: scheduler, changes: changes, data: data, configuration: configuration, clock: clock, startedAt: startedAt,
            socketPath: socketPath, logger: logger)
        let notifier = SystemdNotifier()
        let readiness = Readiness()
        let status = StatusService(engine: engine, catalog: catalog, notifier: notifier, clock: clock, readiness: readiness)
        let settings = ControlServer.Settings(
            socketPath: socketPath, policy: AccessPolicy(ownUID: getuid(), groupID: groupID), socketGroupID: groupID,
            stallTimeout: stallTimeout)
        let logger = self.logger
        let server = ControlServer(settings: settings, router: MethodRouter(context: context), logger: logger) {
            await readiness.markReady()
            let backups = await catalog.count
            logger.info(
                "ready",
                metadata: [
                    "socket.path": "\(socketPath)", "config.file": "\(configFile ?? "embedded default")", "catalog.backups": "\(backups)",
                ])
        }
        var groupConfiguration = ServiceGroupConfiguration(
            services: [
                .init(service: server, serviceName: "control-server"),
                .init(service: ReloadService(configuration: configuration, logger: logger), serviceName: "reload"),
                .init(service: status, serviceName: "status"),
                .init(
                    service: EngineService(engine: engine, configuration: configuration, notifier: notifier, grace: stopTimeout),
                    serviceName: "engine"),
                // After the engine, so they stop first: no new scheduled or file-change backup
                // starts while the engine stops.
                .init(service: TargetService(engine: engine, interval: timing.checkInterval, logger: logger), serviceName: "targets"),
                .init(service: ChangeTriggerService(changes: changes), serviceName: "change-trigger"),
                .init(service: SchedulerService(scheduler: scheduler), serviceName: "scheduler"),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = stopTimeout + .seconds(15)
        do {
            try await ServiceGroup(configuration: groupConfiguration).run()
        } catch {
            throw LaunchError(message: "\(error)")
        }
    }

    /// Under systemd `$RUNTIME_DIRECTORY/pacad.sock` wins over the configured path (the unit owns `/run/paca`).
    static func socketPath(configured: String) -> String {
        guard let runtime = getenv("RUNTIME_DIRECTORY").map({ String(cString: $0) }), let first = runtime.split(separator: ":").first else {
            return configured
        }
        return first + "/pacad.sock"
    }

    static func groupID(named name: String) -> UInt32? {
        guard let entry = getgrnam(name) else { return nil }
        return entry.pointee.gr_gid
    }
}
