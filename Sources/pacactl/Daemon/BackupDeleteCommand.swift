import ArgumentParser
import PacaProtocol

struct BackupDeleteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Delete a backup: its archive, sidecar and catalog record.")

    @Argument(help: "The backup id.")
    var id: String

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let reply = try daemon.call(Methods.backupDelete, BackupIDParams(id: id))
        if daemon.json { return daemon.printResult(reply) }
        print("deleted \(id) (\(reply.result.deleted.path))")
    }
}
