import ArgumentParser
import PacaProtocol

struct BackupListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the backups in the catalog, oldest first, or as a query orders them.",
        discussion: """
            Without --where, --sort or --offset, --limit keeps the newest N. With them the catalog is queried: \
            pacactl backup list --where 'set = "training" and bytes_in > 1GB' --sort finished_at:desc --limit 10
            """)

    @Option(help: "Only backups of this set.")
    var set: String?

    @Option(help: "Only backups with this status: running, complete, partial, failed, interrupted or cancelled.")
    var status: String?

    @OptionGroup var query: QueryOptions

    @OptionGroup var daemon: DaemonOptions

    func validate() throws {
        if let status, BackupStatus(rawValue: status) == nil {
            throw ValidationError("--status \"\(status)\" is not one of \(BackupStatus.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        var params = BackupListParams()
        (params.filter, params.sortBy, params.sortOrder, params.limit, params.offset) = try query.query()
        params.set = set
        params.status = status.flatMap(BackupStatus.init)
        // pacad answers at most 1000 a call; follow the pages to the limit asked for (or the end).
        let wanted = params.limit.map(Int.init)
        var newestFirst = false
        if let wanted, wanted > Int(Page.size), !params.isQuery {
            // The newest N, more than a page: page through newest first, then turn it around.
            (params.sortBy, params.sortOrder, params.offset, newestFirst) = ("id", .desc, 0, true)
        }
        var backups = try allPages(wanted: wanted, offset: params.offset) { limit, offset in
            (params.limit, params.offset) = (limit, offset)
            let page = try daemon.call(Methods.backupList, params).result
            return (page.backups, page.nextOffset)
        }
        if newestFirst { backups.reverse() }
        if daemon.json { return print(String(decoding: BackupList(backups: backups).wire.serialized, as: UTF8.self)) }
        var table = Table("ID", "STATUS", "KIND", "FILES", "SIZE", "STORED", "TRIGGER", "REASON")
        for backup in backups {
            table.add(
                backup.id, backup.status.rawValue, backup.type.rawValue + (backup.retired ? " (retired)" : ""), String(backup.files),
                ByteCount.format(backup.bytesIn),
                ByteCount.format(backup.bytesStored),
                backup.trigger, backup.reason ?? "")
        }
        print(table.render())
    }
}
