import PacaCore
import ArgumentParser
import PacaProtocol

struct TriggerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trigger",
        abstract: "Back up because something happened: a training run starts, watched files changed, a stop, an emergency.",
        subcommands: [TrainingStartCommand.self, ConfigChangeCommand.self, ShutdownTriggerCommand.self, EmergencyCommand.self]
    )

    /// Fires `kind` and prints what it did: one summary per backup, or what started with `--no-wait`.
    static func fire(
        _ kind: String, set: String?, reason: String?, noWait: Bool, daemon: DaemonOptions
    ) throws {
        var params: [String: JSONValue] = ["kind": .string(kind), "wait": .bool(!noWait)]
        if let set { params["set"] = .string(set) }
        if let reason { params["reason"] = .string(reason) }
        let result = try daemon.call("trigger.fire", params, progressLabel: noWait ? nil : "backing up")
        if daemon.json { return daemon.printResult(result) }
        for backup in result["backups"]?.arrayValue ?? [] {
            if noWait {
                print("backup of \(backup.text("set")) \(backup.text("status"))")
            } else {
                BackupShowCommand.summary(backup)
            }
        }
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
    static var kind: String { get }
    var options: SetTriggerOptions { get }
    var daemon: DaemonOptions { get }
}

extension SetTriggerCommand {
    func run() throws {
        try TriggerCommand.fire(Self.kind, set: options.set, reason: options.reason, noWait: options.noWait, daemon: daemon)
    }
}

struct TrainingStartCommand: SetTriggerCommand {
    static let kind = "training_start"
    static let configuration = CommandConfiguration(
        commandName: "training-start",
        abstract: "Announce a training run: the sets that take training_start are backed up, and this waits until that is done.",
        discussion:
            "Call it from a training script before it starts writing, e.g. `pacactl trigger training-start --set training --reason \"run 42\" && python train.py`."
    )

    @OptionGroup var options: SetTriggerOptions
    @OptionGroup var daemon: DaemonOptions
}

struct ConfigChangeCommand: SetTriggerCommand {
    static let kind = "config_change"
    static let configuration = CommandConfiguration(
        commandName: "config-change",
        abstract: "Back up the sets that take config_change now, as if their watched files had changed and gone quiet.")

    @OptionGroup var options: SetTriggerOptions
    @OptionGroup var daemon: DaemonOptions
}

struct ShutdownTriggerCommand: SetTriggerCommand {
    static let kind = "shutdown"
    static let configuration = CommandConfiguration(
        commandName: "shutdown",
        abstract: "Back up the sets that take shutdown now, as a stop would, without stopping the daemon.",
        discussion: "For a hook that runs before the machine powers off by a path systemd does not see.")

    @OptionGroup var options: SetTriggerOptions
    @OptionGroup var daemon: DaemonOptions
}

struct EmergencyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emergency", abstract: "Back up every set now, in parallel, ahead of waiting work, and report each.")

    @Option(help: "Why, recorded in the catalog.")
    var reason: String

    @Flag(name: .customLong("no-wait"), help: "Return once the backups have started.")
    var noWait = false

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        try TriggerCommand.fire("emergency", set: nil, reason: reason, noWait: noWait, daemon: daemon)
    }
}
