import ArgumentParser
import PacaProtocol

struct TrainingStartCommand: SetTriggerCommand {
    static let kind = TriggerKind.trainingStart
    static let configuration = CommandConfiguration(
        commandName: "training-start",
        abstract: "Announce a training run: the sets that take training_start are backed up, and this waits until that is done.",
        discussion:
            "Call it from a training script before it starts writing, e.g. `pacactl trigger training-start --set training --reason \"run 42\" && python train.py`."
    )

    @OptionGroup var options: SetTriggerOptions
    @OptionGroup var daemon: DaemonOptions
}

struct TrainingEndCommand: SetTriggerCommand {
    static let kind = TriggerKind.trainingEnd
    static let configuration = CommandConfiguration(
        commandName: "training-end",
        abstract: "Announce the end of a training run: the sets that take training_end are backed up, and this waits until that is done.",
        discussion:
            "Call it when the script has finished or failed, with a reason that says which, e.g. `python train.py; pacactl trigger training-end --set training --reason \"run 42 exited $?\"`."
    )

    @OptionGroup var options: SetTriggerOptions
    @OptionGroup var daemon: DaemonOptions
}

struct ConfigChangeCommand: SetTriggerCommand {
    static let kind = TriggerKind.configChange
    static let configuration = CommandConfiguration(
        commandName: "config-change",
        abstract: "Back up the sets that take config_change now, as if their watched files had changed and gone quiet.")

    @OptionGroup var options: SetTriggerOptions
    @OptionGroup var daemon: DaemonOptions
}

struct ShutdownTriggerCommand: SetTriggerCommand {
    static let kind = TriggerKind.shutdown
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
        try TriggerCommand.fire(.emergency, set: nil, reason: reason, noWait: noWait, daemon: daemon)
    }
}
