import ArgumentParser
import PacaArchive
import PacaClient
import PacaSystem

struct ArchiveVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every entry's CRC-32 and SHA-256 and the archive's .sha256 sidecar.",
        discussion: "Exits 0 when everything matches and 1 when anything does not; every bad entry is reported."
    )

    @Argument(help: "The archive to verify.")
    var file: String

    @Option(help: "Threads to decompress with (default: all cores).")
    var threads: Int?

    @OptionGroup var keys: IdentityOptions

    @OptionGroup var outputOptions: ArchiveOutputOptions

    func validate() throws {
        if let threads, !(1...256).contains(threads) { throw ValidationError("--threads must be 1-256, not \(threads)") }
    }

    func run() throws {
        let identities = try keys.identities()
        let result = try runArchiveOperation("verifying") { (bar) throws(ArchiveError) in
            try ArchiveVerifier.verify(file, identities: identities, threads: threads) { bar.update(done: $0, total: 0) }
        }
        if outputOptions.json {
            try printJSON(result)
        } else {
            for problem in result.problems {
                var line = problem.entry.map { "\(NameBytes.display($0)): " } ?? ""
                line += problem.message
                if let offset = problem.offset { line += " (offset \(offset))" }
                print("BAD  \(line)")
            }
            let status = result.isValid ? "OK" : "FAILED"
            if result.contentsChecked {
                print(
                    "\(status)  \(result.archive): \(result.entries) entries, \(ByteCount.format(result.bytes)) checked, sidecar \(result.sidecar), \(result.problems.count) problem(s), \(format2(result.seconds)) s"
                )
            } else {
                print(
                    "\(status)  \(result.archive): encrypted bytes checked against the sidecar (\(result.sidecar)), \(result.problems.count) problem(s); the contents were not checked: give --identity to decrypt and check every entry"
                )
            }
        }
        if !result.isValid { throw ExitStatus.failed.exitCode }
    }
}
