public import PacaEngine
public import ServiceLifecycle

/// Looks after the targets while the daemon runs: every check interval it checks each target
/// (reachable, writable, free space, for `status`) and retries deliveries that failed and are
/// due (copying the archive from a target that has it). Stops with the daemon.
public struct TargetService: Service {
    let engine: BackupEngine
    let interval: Duration

    public init(engine: BackupEngine, interval: Duration) {
        self.engine = engine
        self.interval = interval
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard !Task.isCancelled else { return }
                await engine.maintain()
            }
        }
    }
}
