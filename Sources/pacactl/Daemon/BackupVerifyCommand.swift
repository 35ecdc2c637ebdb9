import ArgumentParser
import PacaAge
import PacaArchive
import PacaClient
import PacaProtocol
import PacaSystem

struct BackupVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Check a backup's archive end to end (CRC-32, SHA-256 manifest, sidecar).",
        discussion: """
            Exits 0 when everything matches and 1 when anything does not. pacad holds no key for a sealed backup: \
            it checks the encrypted bytes against the catalog and the sidecar, and with --identity pacactl then \
            decrypts the archive here, read through pacad, and checks every entry (and, with --deep, the files it \
            takes from other archives).
            """)

    @Argument(help: "The backup id.")
    var id: String

    @Flag(help: "For an incremental backup, also read the files it takes from other archives and check their SHA-256.")
    var deep = false

    @OptionGroup var keys: IdentityOptions

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let reply = try daemon.call(
            Methods.backupVerify, BackupVerifyParams(id: id, progress: true, deep: deep), progressLabel: "verifying")
        let result = reply.result
        let identities = try keys.identities()
        if result.sealed && !identities.isEmpty {
            return try verifySealedContents(stored: result, identities: identities)
        }
        if daemon.json {
            daemon.printResult(reply)
        } else {
            printProblems(result.problems)
            if result.contentsChecked {
                print(
                    "\(result.ok ? "OK" : "FAILED")  \(id): \(result.entries) entries, \(ByteCount.format(result.bytes)) checked, sidecar \(result.sidecar), catalog \(result.catalog)"
                )
            } else {
                print(
                    "\(result.ok ? "OK" : "FAILED")  \(id): sealed; the encrypted bytes were checked against the catalog (\(result.catalog)) and the sidecar (\(result.sidecar)); the contents were not checked: pacad holds no identity (give --identity FILE to check them here)"
                )
            }
        }
        if !result.ok { throw ExitStatus.failed.exitCode }
    }

    private func printProblems(_ problems: [ArchiveIssue]) {
        for problem in problems { print("BAD  " + (problem.entry.map { "\(NameBytes.display($0)): " } ?? "") + problem.message) }
    }

    /// A sealed backup with `--identity`: pacad checked the stored bytes (`stored`); its contents
    /// are decrypted and checked here, read through a restore session.
    private func verifySealedContents(stored: VerifyResult, identities: [AgeIdentity]) throws {
        let bar = ProgressBar(label: "checking contents")
        let contents: VerificationResult
        do {
            contents = try CallerRestore.verifyContents(
                id, identities: identities, deep: deep, paths: SocketLocation.candidates(named: daemon.socket),
                timeout: daemon.replyTimeout
            ) { bar.update(done: $0, total: 0) }
            bar.finish()
        } catch {
            bar.finish()
            if let rpcError = error.rpcError { daemon.report(rpcError) }
            throw fail(error.message, error.exitStatus)
        }
        var result = stored
        result.entries = contents.entries
        result.bytes = contents.bytes
        result.hasManifest = contents.hasManifest
        result.contentsChecked = true
        result.problems += contents.problems.map(ArchiveIssue.init)
        if contents.catalog == "mismatch" { result.catalog = "mismatch" }
        result.ok = result.ok && contents.isValid
        if daemon.json {
            print(String(decoding: result.wire.serialized, as: UTF8.self))
        } else {
            printProblems(result.problems)
            print(
                "\(result.ok ? "OK" : "FAILED")  \(id): sealed; \(result.entries) entries, \(ByteCount.format(result.bytes)) decrypted and checked here, sidecar \(result.sidecar), catalog \(result.catalog)"
            )
        }
        if !result.ok { throw ExitStatus.failed.exitCode }
    }
}
