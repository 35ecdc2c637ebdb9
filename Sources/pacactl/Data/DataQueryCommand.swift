import ArgumentParser
import PacaProtocol

struct DataQueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query", abstract: "Find records with a filter.",
        discussion: #"pacactl data query app --where 'age >= 18 and city = "서울"' --sort created_at:desc --limit 10"#)

    @Argument(help: "The store.") var store: String
    @OptionGroup var query: QueryOptions
    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        var params = DataQueryParams()
        params.store = store
        (params.filter, params.sortBy, params.sortOrder, params.limit, params.offset) = try query.query()
        let records = try allPages(wanted: params.limit.map(Int.init), offset: params.offset) { limit, offset in
            (params.limit, params.offset) = (limit, offset)
            let page = try daemon.call(Methods.dataQuery, params).result
            return (page.records, page.nextOffset)
        }
        if daemon.json { return print(String(decoding: RecordList(records: records).wire.serialized, as: UTF8.self)) }
        var table = Table("ID", "VERSION", "UPDATED", "DATA")
        for record in records {
            var data = String(decoding: record.data.serialized, as: UTF8.self)
            if data.count > 100 { data = String(data.prefix(97)) + "..." }
            table.add(record.id, String(record.version), record.updatedAt.text, data)
        }
        print(table.render())
    }
}
