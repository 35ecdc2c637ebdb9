public import PacaScheduler
public import PacaWatch
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

/// Runs the `config_change` trigger until the daemon stops: file changes become backups after
/// their quiet period; on stop the watching ends (pending changes are left to the shutdown trigger).
public struct ChangeTriggerService: Service {
    let changes: ChangeTrigger

    public init(changes: ChangeTrigger) {
        self.changes = changes
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await changes.run() }
        await changes.stop()
    }
}
