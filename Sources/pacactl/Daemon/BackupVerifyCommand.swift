import ArgumentParser
import PacaClient
import PacaProtocol
import PacaSystem

struct BackupVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Check a backup's archive end to end (CRC-32, SHA-256 manifest, sidecar).",
        discussion: "Exits 0 when everything matches and 1 when anything does not.")

    @Argument(help: "The backup id.")
    var id: String

    @Flag(help: "For an incremental backup, also read the files it takes from other archives and check their SHA-256.")
    var deep = false

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let reply = try daemon.call(
            Methods.backupVerify, BackupVerifyParams(id: id, progress: true, deep: deep), progressLabel: "verifying")
        let result = reply.result
        if daemon.json {
            daemon.printResult(reply)
        } else {
            for problem in result.problems { print("BAD  " + (problem.entry.map { "\(NameBytes.display($0)): " } ?? "") + problem.message) }
            if result.contentsChecked {
                print(
                    "\(result.ok ? "OK" : "FAILED")  \(id): \(result.entries) entries, \(ByteCount.format(result.bytes)) checked, sidecar \(result.sidecar), catalog \(result.catalog)"
                )
            } else {
                print(
                    "\(result.ok ? "OK" : "FAILED")  \(id): sealed; the encrypted bytes were checked against the catalog (\(result.catalog)) and the sidecar (\(result.sidecar)); the contents were not checked: pacad holds no identity (to check them, fetch the archive and run pacactl archive verify FILE --identity KEY)"
                )
            }
        }
        if !result.ok { throw ExitStatus.failed.exitCode }
    }
}
