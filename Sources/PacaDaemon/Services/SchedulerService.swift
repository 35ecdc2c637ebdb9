public import PacaEngine
public import ServiceLifecycle

/// Runs the scheduler's loop until the daemon stops.
public struct SchedulerService: Service {
    let scheduler: Scheduler

    public init(scheduler: Scheduler) {
        self.scheduler = scheduler
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await scheduler.run() }
    }
}
