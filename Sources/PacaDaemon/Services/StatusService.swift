public import PacaCatalog
public import PacaEngine
public import PacaSystem
public import ServiceLifecycle

/// Keeps systemd informed: `READY=1` once the control server listens (the catalog is loaded before
/// any service starts), then a `STATUS=` line whenever it changes ("backing up training: 41%") and
/// `WATCHDOG=1` at half of `WATCHDOG_USEC`, sent only after the engine actor has answered, so a
/// wedged daemon stops petting the watchdog and systemd restarts it.
public struct StatusService: Service {
    let engine: BackupEngine
    let catalog: Catalog
    let notifier: SystemdNotifier
    let clock: ServiceClock
    let readiness: Readiness

    public init(engine: BackupEngine, catalog: Catalog, notifier: SystemdNotifier, clock: ServiceClock, readiness: Readiness) {
        self.engine = engine
        self.catalog = catalog
        self.notifier = notifier
        self.clock = clock
        self.readiness = readiness
    }

    /// The status line right now.
    public func currentLine() async -> String {
        let snapshot = await engine.snapshot()
        let newest = await catalog.latestBySet().values.max { $0.id < $1.id }
        return StatusLine.text(snapshot: snapshot, latest: newest, now: clock.now())
    }

    public func run() async throws {
        let watchdog = notifier.watchdogInterval
        let tick = min(watchdog ?? .seconds(1), .seconds(1))
        await cancelWhenGracefulShutdown {
            guard await readiness.wait() else { return }
            var lastLine = await currentLine()
            notifier.ready(status: lastLine)
            while !Task.isCancelled {
                let line = await currentLine()
                if line != lastLine {
                    notifier.status(line)
                    lastLine = line
                }
                if watchdog != nil { notifier.watchdog() }
                try? await clock.sleep(for: tick)
            }
        }
    }
}
