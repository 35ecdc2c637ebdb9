import ArgumentParser
import PacaArchive
import PacaCore
import PacaSystem

struct ArchiveExtractCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract",
        abstract: "Extract an archive (or the entries matching --include) into a directory."
    )

    @Argument(help: "The archive to extract.")
    var file: String

    @Option(help: "The directory to extract into (created if missing).")
    var to: String

    @Option(name: .customLong("include"), help: "Extract only entries matching this pattern, or inside a matching directory. Repeatable.")
    var includes: [String] = []

    @Flag(help: "Replace files that already exist (otherwise they are kept and reported).")
    var overwrite = false

    @Option(help: "Threads to decompress with (default: all cores).")
    var threads: Int?

    @Option(
        help: ArgumentHelp(
            "A folder holding the archives an incremental backup references (<backup-id>.zip or .zip.age, as on a directory target).",
            valueName: "folder"))
    var archives: String?

    @OptionGroup var keys: IdentityOptions

    @OptionGroup var outputOptions: ArchiveOutputOptions

    func validate() throws {
        if let threads, !(1...256).contains(threads) { throw ValidationError("--threads must be 1-256, not \(threads)") }
        for pattern in includes {
            do { _ = try PathPattern(pattern) } catch { throw ValidationError("--include \(error)") }
        }
    }

    func run() throws {
        let patterns = try includes.map { try PathPattern($0) }
        let options = ExtractionOptions(includes: patterns, overwrite: overwrite, threads: threads)
        let folder = archives
        let identities = try keys.identities()
        let file = self.file
        let result = try runArchiveOperation("restoring") { (bar) throws(ArchiveError) in
            let source = try openArchive(file, identities: identities)
            var references: [String: any ArchiveByteSource] = [:]
            if let folder {
                for id in try ArchiveReader(source: source).manifest().referencedBackups {
                    for name in [id + ".zip", id + ".zip.age"] where Syscall.exists(folder + "/" + name) {
                        references[id] = try openArchive(folder + "/" + name, identities: identities)
                        break
                    }
                }
            }
            return try ArchiveExtractor.extract(from: source, to: to, options: options, references: references) {
                bar.update(done: $0, total: $1)
            }
        }
        if outputOptions.json {
            try printJSON(result)
        } else {
            print(
                "\(result.destination): \(result.files) files, \(result.directories) directories, \(result.symlinks) symlinks, \(ByteCount.format(result.bytes)), \(format2(result.seconds)) s"
            )
        }
        if !result.problems.isEmpty {
            var standardError = StandardError()
            for problem in result.problems {
                print("pacactl: \(NameBytes.display(problem.entry ?? result.archive)): \(problem.message)", to: &standardError)
            }
            if !result.missingBackups.isEmpty {
                let where_ = archives.map { "; \($0) does not hold them" } ?? "; give the folder that holds them with --archives"
                print(
                    "pacactl: the files this archive does not hold are in the archives of \(result.missingBackups.joined(separator: ", "))\(where_)",
                    to: &standardError)
            }
            throw fail("\(result.problems.count) entr\(result.problems.count == 1 ? "y was" : "ies were") not restored", .failed)
        }
    }
}
