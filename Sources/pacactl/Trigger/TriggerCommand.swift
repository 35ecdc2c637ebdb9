import ArgumentParser
import PacaProtocol

struct TriggerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trigger",
        abstract: "Back up because something happened: a training run starts, watched files changed, a stop, an emergency.",
        subcommands: [
            TrainingStartCommand.self, TrainingEndCommand.self, ConfigChangeCommand.self, ShutdownTriggerCommand.self,
            EmergencyCommand.self,
        ]
    )

    /// Fires `kind` and prints what it did: one summary per backup, or what started with `--no-wait`.
    static func fire(_ kind: TriggerKind, set: String?, reason: String?, noWait: Bool, daemon: DaemonOptions) throws {
        let params = TriggerFireParams(kind: kind, set: set, reason: reason, wait: !noWait, progress: !noWait)
        let reply = try daemon.call(Methods.triggerFire, params, progressLabel: noWait ? nil : "backing up")
        if daemon.json {
            daemon.printResult(reply)
        } else {
            for backup in reply.result.backups {
                switch backup {
                case .finished(let record): BackupSummary.print(record)
                case .admitted(let set, let status): print("backup of \(set) \(status.rawValue)")
                case .failed(let set, let error): print("backup of \(set) failed: \(error)")
                }
            }
        }
        try BackupSummary.failIfPartial(reply.result.backups.compactMap { if case .finished(let record) = $0 { record } else { nil } })
    }
}

/// The options every set-scoped trigger takes.
struct SetTriggerOptions: ParsableArguments {
    @Option(help: "Back up only this set (it must list the trigger in its triggers:); default: every set that does.")
    var set: String?

    @Option(help: "Why, recorded in the catalog (e.g. the run's name).")
    var reason: String?

    @Flag(name: .customLong("no-wait"), help: "Return once the backups have started or been queued.")
    var noWait = false
}

/// A trigger that backs up the sets listing it: each command only names its kind.
protocol SetTriggerCommand: ParsableCommand {
    static var kind: TriggerKind { get }
    var options: SetTriggerOptions { get }
    var daemon: DaemonOptions { get }
}

extension SetTriggerCommand {
    func run() throws {
        try TriggerCommand.fire(Self.kind, set: options.set, reason: options.reason, noWait: options.noWait, daemon: daemon)
    }
}
