import ArgumentParser
import PacaArchive
import PacaClient
import PacaCore
import PacaProtocol
import PacaSystem

struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a backup into a folder (whole, or the entries matching --include).",
        discussion: """
            pacactl writes the files itself, with your rights: pacad checks that you may restore the backup and \
            reads its archives for you. The files belong to you and land only where you may write. Unless you are \
            root, entries you could not have read when they were backed up are left out and listed on standard \
            error (the restore still succeeds). Entries that would land outside the folder are refused; existing \
            files are kept unless --overwrite is given. A backup of a sealed set is decrypted here with \
            --identity (or --passphrase-file); pacad never sees the key.
            """
    )

    @Argument(help: "The backup id.")
    var id: String

    @Option(help: ArgumentHelp("The folder to restore into (default: ./restore-<id>).", valueName: "dir"))
    var to: String?

    @Option(name: .customLong("include"), help: ArgumentHelp("Restore only entries matching this pattern (repeatable).", valueName: "glob"))
    var includes: [String] = []

    @Flag(help: "Replace files that already exist.")
    var overwrite = false

    @Option(help: "Threads to decompress with (default: all cores).")
    var threads: Int?

    @Flag(
        help: ArgumentHelp(
            "Have pacad write the files itself, with its own rights and inside its sandbox (admins only; restore.run)."))
    var byDaemon = false

    @OptionGroup var keys: IdentityOptions

    @OptionGroup var daemon: DaemonOptions

    func validate() throws {
        if let threads, !(1...256).contains(threads) { throw ValidationError("--threads must be 1-256, not \(threads)") }
        for pattern in includes {
            do { _ = try PathPattern(pattern) } catch { throw ValidationError("--include \(error)") }
        }
    }

    func run() throws {
        let destination = PathText.absolute(to ?? "restore-\(id)", in: ProcessFacts.currentDirectory)
        if byDaemon { return try restoreByDaemon(into: destination) }
        let options = ExtractionOptions(includes: try includes.map { try PathPattern($0) }, overwrite: overwrite, threads: threads)
        let identities = try keys.identities()
        let bar = ProgressBar(label: "restoring")
        let restored: ExtractionResult
        do {
            restored = try CallerRestore.run(
                id, to: destination, options: options, identities: identities, paths: SocketLocation.candidates(named: daemon.socket),
                timeout: daemon.replyTimeout
            ) { bar.update(done: $0, total: $1) }.result
            bar.finish()
        } catch {
            bar.finish()
            if let rpcError = error.rpcError { daemon.report(rpcError) }
            throw fail(error.message, error.exitStatus)
        }
        let result = RestoreResult(id: id, restored)
        if daemon.json {
            print(String(decoding: result.wire.serialized, as: UTF8.self))
        } else {
            print("restored \(result.files) files (\(ByteCount.format(result.bytes))) from \(id) into \(result.destination)")
        }
        if !result.leftOut.isEmpty {
            StandardStreams.writeError(
                "pacactl: left out \(result.leftOut.count) entr\(result.leftOut.count == 1 ? "y" : "ies") you could not read when \(result.leftOut.count == 1 ? "it was" : "they were") backed up (ask an admin, or root, to restore \(result.leftOut.count == 1 ? "it" : "them")):\n"
            )
            for path in result.leftOut { StandardStreams.writeError("  \(NameBytes.display(path))\n") }
        }
        if !result.problems.isEmpty {
            for problem in result.problems {
                StandardStreams.writeError("pacactl: \(NameBytes.display(problem.entry ?? result.archive)): \(problem.message)\n")
            }
            throw fail("\(result.problems.count) entr\(result.problems.count == 1 ? "y was" : "ies were") not restored", .failed)
        }
    }

    /// `--by-daemon`: `restore.run`, the daemon writing (the files are then the daemon's to own).
    private func restoreByDaemon(into destination: String) throws {
        let params = RestoreParams(id: id, to: destination, include: includes, overwrite: overwrite, progress: true)
        let reply = try daemon.call(Methods.restoreRun, params, progressLabel: "restoring")
        if daemon.json { return daemon.printResult(reply) }
        print(
            "pacad restored \(reply.result.files) files (\(ByteCount.format(reply.result.bytes))) from \(id) into \(reply.result.destination)"
        )
    }
}
