public import Logging
public import PacaEngine
public import PacaSystem
public import ServiceLifecycle

/// Looks after the targets while the daemon runs: first the start-up work that needs the
/// network (``BackupEngine/prepareRemote()``: unfinished uploads, cut-short removals, comparing
/// targets with the catalog), then every check interval it checks each target (reachable,
/// writable, free space, for `status`) and retries deliveries that failed and are due (copying
/// the archive from a target that has it). Beside that, every scrub interval, it runs the
/// scheduled scrub passes (``BackupEngine/scrubDue()``), which may take hours without holding up
/// the checks and retries. Stops with the daemon.
public struct TargetService: Service {
    let engine: BackupEngine
    let interval: Duration
    let scrubInterval: Duration
    let clock: ServiceClock
    let logger: Logger

    public init(engine: BackupEngine, interval: Duration, scrubInterval: Duration, clock: ServiceClock, logger: Logger) {
        self.engine = engine
        self.interval = interval
        self.scrubInterval = scrubInterval
        self.clock = clock
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            for note in await engine.prepareRemote() {
                logger.notice("target cleanup at start", metadata: ["target.note": "\(note)"])
            }
            await withDiscardingTaskGroup { group in
                group.addTask { await every(interval) { await engine.maintain() } }
                group.addTask { await every(scrubInterval) { await engine.scrubDue() } }
            }
        }
    }

    /// Runs `body` after each `period`, until cancelled.
    private func every(_ period: Duration, _ body: () async -> Void) async {
        while !Task.isCancelled {
            try? await clock.sleep(for: period)
            guard !Task.isCancelled else { return }
            await body()
        }
    }
}
