import ArgumentParser
import PacaProtocol

struct TriggerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trigger",
        abstract: "Back up because something happened: a training run starts, or an emergency.",
        subcommands: [TrainingStartCommand.self, EmergencyCommand.self]
    )
}

struct TrainingStartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "training-start",
        abstract: "Announce a training run: its set is backed up, and this waits until that is done.",
        discussion:
            "Call it from a training script before it starts writing, e.g. `pacactl trigger training-start --set training --reason \"run 42\" && python train.py`."
    )

    @Option(help: "The set to back up (needed when several are configured).")
    var set: String?

    @Option(help: "Why, recorded in the catalog (e.g. the run's name).")
    var reason: String?

    @Flag(name: .customLong("no-wait"), help: "Return once the backup has started or been queued.")
    var noWait = false

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        var params: [String: JSONValue] = ["kind": .string("training_start"), "wait": .bool(!noWait)]
        if let set { params["set"] = .string(set) }
        if let reason { params["reason"] = .string(reason) }
        let result = try daemon.call("trigger.fire", params, progressLabel: noWait ? nil : "backing up")
        if daemon.json { return daemon.printResult(result) }
        if noWait { return print("backup of \(result.text("set")) \(result.text("status"))") }
        BackupShowCommand.summary(result)
    }
}

struct EmergencyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emergency", abstract: "Back up every set now, in parallel, and report each.")

    @Option(help: "Why, recorded in the catalog.")
    var reason: String

    @Flag(name: .customLong("no-wait"), help: "Return once the backups have started.")
    var noWait = false

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let result = try daemon.call("trigger.fire", ["kind": .string("emergency"), "reason": .string(reason), "wait": .bool(!noWait)])
        if daemon.json { return daemon.printResult(result) }
        if noWait { return print("emergency backup of \(result["sets"]?.arrayValue.count ?? 0) set(s) started") }
        for backup in result["backups"]?.arrayValue ?? [] { BackupShowCommand.summary(backup) }
    }
}
