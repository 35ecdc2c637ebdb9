import ArgumentParser
import PacaProtocol
import PacaSystem

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
        // The daemon resolves nothing against its own working directory: paths go out absolute.
        let destination = PathText.absolute(to ?? "restore-\(id)", in: ProcessFacts.currentDirectory)
        let params = RestoreParams(id: id, to: destination, include: includes, overwrite: overwrite, progress: daemon.showsProgress)
        let reply = try daemon.call(Methods.restoreRun, params, progressLabel: "restoring")
        if daemon.json { return daemon.printResult(reply) }
        let result = reply.result
        print("restored \(result.files) files (\(ByteCount.format(result.bytes))) from \(id) into \(result.destination)")
    }
}
