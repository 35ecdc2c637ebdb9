import ArgumentParser
import PacaArchive
import PacaCore
import PacaSystem

struct ArchiveCreateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Write PATHs into a new ZIP archive with a manifest and a .sha256 sidecar."
    )

    @Argument(help: "The archive to write (it must not exist yet).")
    var output: String

    @Argument(help: "Files and directories to back up; each is stored under its own name.")
    var paths: [String]

    @Option(
        name: .customLong("exclude"),
        help: "Leave out paths matching this pattern (gitignore-like: '*.tmp', '__pycache__/', 'data/raw/**'). Repeatable.")
    var excludes: [String] = []

    @Option(help: "zlib compression level, 0 (store) to 9.")
    var level: Int = CreationOptions.defaultLevel

    @Option(help: "Compression threads (default: all cores).")
    var threads: Int?

    @OptionGroup var sealing: RecipientOptions

    @OptionGroup var outputOptions: ArchiveOutputOptions

    func validate() throws {
        guard (0...9).contains(level) else { throw ValidationError("--level must be 0-9, not \(level)") }
        if let threads, !(1...256).contains(threads) { throw ValidationError("--threads must be 1-256, not \(threads)") }
        guard !paths.isEmpty else { throw ValidationError("give at least one PATH to back up") }
        for pattern in excludes {
            do { _ = try PathPattern(pattern) } catch { throw ValidationError("--exclude \(error)") }
        }
    }

    func run() throws {
        let patterns = try excludes.map { try PathPattern($0) }
        var name = output.split(separator: "/").last.map(String.init) ?? output
        if name.hasSuffix(".age") { name.removeLast(4) }
        if name.hasSuffix(".zip") { name.removeLast(4) }
        let header = ManifestHeader(backupID: name, createdAt: Int64(SystemTime.realtime()))
        let options = CreationOptions(level: level, threads: threads, excludes: patterns, recipients: try sealing.parsed())
        let expected = StandardStreams.isTerminal(2) ? (try? ArchiveCreator.estimate(sources: paths, excludes: patterns).bytes) ?? 0 : 0
        let result = try runArchiveOperation("backing up") { (bar) throws(ArchiveError) in
            try ArchiveCreator.create(sources: paths, at: output, header: header, options: options) { progress in
                bar.update(done: progress.bytes, total: expected)
            }
        }
        if outputOptions.json {
            try printJSON(result)
        } else {
            let ratio = result.bytesIn > 0 ? Double(result.bytesStored) / Double(result.bytesIn) : 1
            print("\(result.archive): \(result.files) files, \(result.directories) directories, \(result.symlinks) symlinks")
            print(
                "  \(ByteCount.format(result.bytesIn)) in, \(ByteCount.format(result.bytesStored)) stored (\(Int((ratio * 100).rounded()))%), \(String(format2(result.seconds))) s"
            )
            print("  sha256 \(result.sha256)")
        }
        var standardError = StandardError()
        for warning in result.warnings {
            print("pacactl: warning: \(NameBytes.display(warning.path)): \(warning.message)", to: &standardError)
        }
        for path in result.changed { print("pacactl: warning: \(path): changed while it was read; stored as read", to: &standardError) }
        for problem in result.errors { print("pacactl: error: \(NameBytes.display(problem.path)): \(problem.message)", to: &standardError) }
        if !result.errors.isEmpty {
            throw fail("the archive was written, but \(result.errors.count) path(s) could not be read", .failed)
        }
    }
}

/// Two decimals, without Foundation's formatter.
func format2(_ value: Double) -> String {
    let hundredths = Int((value * 100).rounded())
    let fraction = hundredths % 100
    return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
}
