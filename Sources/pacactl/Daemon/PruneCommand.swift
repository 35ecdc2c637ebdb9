import ArgumentParser
import PacaProtocol

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
        let reply = try daemon.call(Methods.backupPrune, BackupPruneParams(set: set, dryRun: dryRun))
        if daemon.json { return daemon.printResult(reply) }
        let report = reply.result
        var table = Table("BACKUP", "TARGET", dryRun ? "WOULD" : "DONE", "WHY")
        for item in report.removed { table.add(item.id, item.target, dryRun ? "remove" : "removed", item.reasons.joined(separator: ",")) }
        for item in report.failed { table.add(item.id, item.target, "kept (could not remove)", item.problem ?? "-") }
        for item in report.kept {
            if item.referencedBy.isEmpty {
                table.add(item.id, item.target, "keep", item.reasons.joined(separator: ","))
            } else {
                let size = item.bytes.map { ", \(ByteCount.format($0))" } ?? ""
                table.add(item.id, item.target, "keep", "referenced by \(item.referencedBy.joined(separator: ","))\(size)")
            }
        }
        print(table.render())
        let onlyReferenced = report.kept.filter { !$0.referencedBy.isEmpty }
        if !onlyReferenced.isEmpty {
            let bytes = onlyReferenced.reduce(UInt64(0)) { $0 + ($1.bytes ?? 0) }
            print("\(onlyReferenced.count) kept only because kept backups need their archives (\(ByteCount.format(bytes)))")
        }
        let copies = report.removed.count == 1 ? "1 backup copy" : "\(report.removed.count) backup copies"
        print(dryRun ? "\(copies) would be removed (dry run)" : "\(copies) removed")
        if !report.failed.isEmpty { throw ExitCode(1) }
    }
}
