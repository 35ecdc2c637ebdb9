import PacaCore
import ArgumentParser
import PacaProtocol

#if canImport(Glibc)
    import Glibc
#endif

struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a backup into a folder (whole, or the entries matching --include).",
        discussion: "Entries that would land outside the folder are refused. Existing files are kept unless --overwrite is given."
    )

    @Argument(help: "The backup id.")
    var id: String

    @Option(help: ArgumentHelp("The folder to restore into (default: ./restore-<id>).", valueName: "dir"))
    var to: String?

    @Option(name: .customLong("include"), help: ArgumentHelp("Restore only entries matching this pattern (repeatable).", valueName: "glob"))
    var includes: [String] = []

    @Flag(help: "Replace files that already exist.")
    var overwrite = false

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let destination = Self.absolute(to ?? "restore-\(id)")
        var params: [String: JSONValue] = ["id": .string(id), "to": .string(destination), "overwrite": .bool(overwrite)]
        if !includes.isEmpty { params["include"] = .array(includes.map(JSONValue.string)) }
        let result = try daemon.call("restore.run", params, progressLabel: "restoring")
        if daemon.json { return daemon.printResult(result) }
        print("restored \(result.text("files")) files (\(result.bytes("bytes"))) from \(id) into \(result.text("destination"))")
    }

    /// The daemon resolves nothing against its own working directory: paths go out absolute.
    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return path }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) + "/" + path
    }
}
