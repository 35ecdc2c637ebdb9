import ArgumentParser
import PacaProtocol

struct BackupPinCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pin", abstract: "Keep a backup whatever retention says (retention's keep_tagged), or --unpin it.")

    @Argument(help: "The backup id.")
    var id: String

    @Flag(help: "Remove the pin instead.")
    var unpin = false

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let reply = try daemon.call(Methods.backupPin, BackupPinParams(id: id, pinned: !unpin))
        if daemon.json { return daemon.printResult(reply) }
        print(unpin ? "unpinned \(id)" : "pinned \(id): retention keeps it")
    }
}
