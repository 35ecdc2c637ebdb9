import ArgumentParser
import PacaProtocol

struct TargetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "target", abstract: "Work on pacad's targets (admins).", subcommands: [TargetInitCommand.self])
}

struct TargetInitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Adopt a target's folder (or bucket prefix) on purpose: pacad writes a new .paca-target there and delivers to it again.",
        discussion:
            "pacad refuses to write into a target folder without its .paca-target (an empty mount point, another disk). Run this when the folder is right: a new disk for the target, or a folder moved on purpose."
    )

    @Argument(help: "The target.")
    var name: String

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let reply = try daemon.call(Methods.targetInit, TargetInitParams(target: name))
        if daemon.json { return daemon.printResult(reply) }
        print(reply.result.message)
    }
}
