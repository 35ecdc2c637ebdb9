public import PacaEngine
public import ServiceLifecycle

/// Runs nothing of its own, but owns the engine's stop: when the daemon is asked to stop it tells
/// systemd (`STOPPING=1`), refuses new work, lets running backups finish within `grace` and
/// cancels what is left (cancelled backups leave no partial archive and are cataloged as such).
/// Listed after the control server, so it stops first and `status` keeps answering meanwhile.
public struct EngineService: Service {
    let engine: BackupEngine
    let notifier: SystemdNotifier
    let grace: Duration

    public init(engine: BackupEngine, notifier: SystemdNotifier, grace: Duration) {
        self.engine = engine
        self.notifier = notifier
        self.grace = grace
    }

    public func run() async throws {
        try? await gracefulShutdown()
        let running = await engine.snapshot().activities
        notifier.stopping(
            status: running.isEmpty ? "stopping" : "stopping; waiting for \(running.count) operation(s) to finish or be cancelled")
        await engine.stop(grace: grace)
    }
}
