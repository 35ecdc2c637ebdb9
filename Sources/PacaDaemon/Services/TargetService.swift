public import Logging
public import PacaEngine
public import PacaSystem
public import ServiceLifecycle

/// Looks after the targets while the daemon runs: first the start-up work that needs the
/// network (``BackupEngine/prepareRemote()``: unfinished uploads, cut-short removals, comparing
/// targets with the catalog), then every check interval it checks each target (reachable,
/// writable, free space, for `status`) and retries deliveries that failed and are due (copying
/// the archive from a target that has it). Stops with the daemon.
public struct TargetService: Service {
    let engine: BackupEngine
    let interval: Duration
    let clock: ServiceClock
    let logger: Logger

    public init(engine: BackupEngine, interval: Duration, clock: ServiceClock, logger: Logger) {
        self.engine = engine
        self.interval = interval
        self.clock = clock
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            for note in await engine.prepareRemote() {
                logger.notice("target cleanup at start", metadata: ["target.note": "\(note)"])
            }
            while !Task.isCancelled {
                try? await clock.sleep(for: interval)
                guard !Task.isCancelled else { return }
                await engine.maintain()
            }
        }
    }
}
