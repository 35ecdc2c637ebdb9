import ArgumentParser
import PacaProtocol

struct CatalogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog", abstract: "Work on pacad's catalog of backups.", subcommands: [CatalogRebuildCommand.self])
}

struct CatalogRebuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract: "Catalog every archive on a target that the catalog does not know (after losing the state directory).",
        discussion: "Reads each archive's manifest and sidecar; archives already cataloged there are left as they are.")

    @Option(help: "The target to read.")
    var target: String

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let reply = try daemon.call(Methods.catalogRebuild, CatalogRebuildParams(target: target, progress: true))
        if daemon.json { return daemon.printResult(reply) }
        let report = reply.result
        print(
            "\(target): \(report.added.count) backup(s) added, \(report.updated.count) known backup(s) found there too, \(report.known) already cataloged"
        )
        for problem in report.problems { print("  \(problem.key): \(problem.error)") }
        if !report.problems.isEmpty { throw ExitCode(1) }
    }
}
