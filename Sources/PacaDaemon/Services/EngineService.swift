public import PacaEngine
public import ServiceLifecycle

/// Runs the engine (its backups are child tasks of this service) and owns its stop: when the
/// daemon is asked to stop it backs up the sets that ask for it (`triggers: [shutdown]`), tells
/// systemd (`STOPPING=1`), refuses new work, lets running backups finish within `grace` and
/// cancels what is left (cancelled backups leave no partial archive and are cataloged as such).
/// Listed after the control server, so it stops first and `status` keeps answering meanwhile.
public struct EngineService: Service {
    let engine: BackupEngine
    let configuration: ConfigurationStore
    let notifier: SystemdNotifier
    let grace: Duration

    public init(engine: BackupEngine, configuration: ConfigurationStore, notifier: SystemdNotifier, grace: Duration) {
        self.engine = engine
        self.configuration = configuration
        self.notifier = notifier
        self.grace = grace
    }

    public func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask { await engine.run() }
            try? await gracefulShutdown()
            // A set already being backed up keeps that backup; all of it shares the stop's deadline.
            let shutdownSets = await configuration.config.sets.filter { $0.listens(to: .shutdown) }.map(\.name)
            for set in shutdownSets {
                _ = try? await engine.requestBackup(set: set, trigger: .shutdown, reason: "the daemon is stopping")
            }
            let running = await engine.snapshot().activities
            if shutdownSets.isEmpty {
                notifier.stopping(
                    status: running.isEmpty ? "stopping" : "stopping; waiting for \(running.count) operation(s) to finish or be cancelled")
            } else {
                notifier.stopping(status: "stopping; shutdown backup of \(shutdownSets.joined(separator: ", "))")
            }
            await engine.stop(grace: grace)
        }
    }
}
