import ArgumentParser
import PacaCore
import PacaProtocol

struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Make, list, inspect, verify, pin and delete backups through pacad.",
        subcommands: [
            BackupNowCommand.self, BackupListCommand.self, BackupShowCommand.self, BackupVerifyCommand.self, BackupDeleteCommand.self,
            BackupPinCommand.self,
        ]
    )
}

struct BackupPinCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pin", abstract: "Keep a backup whatever retention says (retention's keep_tagged), or --unpin it.")

    @Argument(help: "The backup id.")
    var id: String

    @Flag(help: "Remove the pin instead.")
    var unpin = false

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let record = try daemon.call("backup.pin", ["id": .string(id), "pinned": .bool(!unpin)])
        if daemon.json { return daemon.printResult(record) }
        print(unpin ? "unpinned \(id)" : "pinned \(id): retention keeps it")
    }
}

struct PruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Apply the retention policies now: remove what they do not keep (see docs/configuration.md).",
        discussion: "pacad also prunes a set after each of its backups. --dry-run only shows what would go.")

    @Option(help: "Only this set.")
    var set: String?

    @Flag(name: .customLong("dry-run"), help: "Show what would be removed; remove nothing.")
    var dryRun = false

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        var params: [String: JSONValue] = ["dry_run": .bool(dryRun)]
        if let set { params["set"] = .string(set) }
        let report = try daemon.call("backup.prune", params)
        if daemon.json { return daemon.printResult(report) }
        var table = Table("BACKUP", "TARGET", dryRun ? "WOULD" : "DONE", "WHY")
        for (key, label) in [("removed", dryRun ? "remove" : "removed"), ("failed", "kept (could not remove)"), ("kept", "keep")] {
            for item in report[key]?.arrayValue ?? [] {
                let why = key == "failed" ? item.text("problem") : (item["reasons"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ",")
                table.add(item.text("id"), item.text("target"), label, why)
            }
        }
        print(table.render())
        let removed = (report["removed"]?.arrayValue ?? []).count
        let copies = removed == 1 ? "1 backup copy" : "\(removed) backup copies"
        print(dryRun ? "\(copies) would be removed (dry run)" : "\(copies) removed")
        if !(report["failed"]?.arrayValue ?? []).isEmpty { throw ExitCode(1) }
    }
}

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
        let report = try daemon.call("catalog.rebuild", ["target": .string(target)])
        if daemon.json { return daemon.printResult(report) }
        let added = report["added"]?.arrayValue ?? []
        let updated = report["updated"]?.arrayValue ?? []
        print("\(target): \(added.count) backup(s) added, \(updated.count) known backup(s) found there too, \(report.text("known")) already cataloged")
        let problems = report["problems"]?.arrayValue ?? []
        for problem in problems { print("  \(problem.text("key")): \(problem.text("error"))") }
        if !problems.isEmpty { throw ExitCode(1) }
    }
}
