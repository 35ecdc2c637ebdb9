import ArgumentParser
import PacaCore
import PacaProtocol

#if canImport(Glibc)
    import Glibc
#endif

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Store, fetch, update, delete and query JSON records in pacad's record stores.",
        discussion: "Stores are declared in the config (stores:); the backup catalog is the read-only store \"catalog\".",
        subcommands: [DataPutCommand.self, DataGetCommand.self, DataUpdateCommand.self, DataDeleteCommand.self, DataQueryCommand.self]
    )

    /// `text` as JSON, or standard input when it is `-`; a usage error naming the problem otherwise.
    static func json(_ text: String) throws -> JSONValue {
        var bytes = Array(text.utf8)
        if text == "-" {
            bytes = []
            var chunk = [UInt8](repeating: 0, count: 65_536)
            while true {
                let n = read(0, &chunk, chunk.count)
                if n <= 0 { break }
                bytes += chunk[0..<n]
            }
        }
        do { return try JSONValue.parse(bytes) } catch {
            throw ValidationError("the record is not valid JSON: \(error)")
        }
    }

    static func show(_ record: JSONValue) {
        print("\(record.text("id"))  version \(record.text("version"))  \(record.text("type"))  updated \(record.text("updated_at"))")
        print(String(decoding: (record["data"] ?? .null).serialized, as: UTF8.self))
    }
}

struct DataPutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "put", abstract: "Store a new record; prints its id.")

    @Argument(help: "The store.") var store: String
    @Argument(help: "The record's data as JSON, or - to read it from standard input.") var data: String
    @Option(help: "json, string, integer, float, boolean, datetime or binary (base64); default: from the JSON.") var type: String?
    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        var params: [String: JSONValue] = ["store": .string(store), "data": try DataCommand.json(data)]
        if let type { params["type"] = .string(type) }
        let record = try daemon.call("data.put", params)
        if daemon.json { return daemon.printResult(record) }
        print(record.text("id"))
    }
}

struct DataGetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Print one record.")

    @Argument(help: "The store.") var store: String
    @Argument(help: "The record id.") var id: String
    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let record = try daemon.call("data.get", ["store": .string(store), "id": .string(id)])
        if daemon.json { return daemon.printResult(record) }
        DataCommand.show(record)
    }
}

struct DataUpdateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update", abstract: "Replace a record's data.",
        discussion: "With --if-version N the update happens only if the record is still at version N; otherwise it fails (exit 1) and nothing changes.")

    @Argument(help: "The store.") var store: String
    @Argument(help: "The record id.") var id: String
    @Argument(help: "The new data as JSON, or - for standard input.") var data: String
    @Option(name: .customLong("if-version"), help: "Only if the record is at this version.") var ifVersion: Int64?
    @Option(help: "The data's type; default: from the JSON.") var type: String?
    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        var params: [String: JSONValue] = ["store": .string(store), "id": .string(id), "data": try DataCommand.json(data)]
        if let ifVersion { params["if_version"] = .int(ifVersion) }
        if let type { params["type"] = .string(type) }
        let record = try daemon.call("data.update", params)
        if daemon.json { return daemon.printResult(record) }
        print("\(record.text("id")) is at version \(record.text("version"))")
    }
}

struct DataDeleteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a record.")

    @Argument(help: "The store.") var store: String
    @Argument(help: "The record id.") var id: String
    @Option(name: .customLong("if-version"), help: "Only if the record is at this version.") var ifVersion: Int64?
    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        var params: [String: JSONValue] = ["store": .string(store), "id": .string(id)]
        if let ifVersion { params["if_version"] = .int(ifVersion) }
        let record = try daemon.call("data.delete", params)
        if daemon.json { return daemon.printResult(record) }
        print("deleted \(record.text("id"))")
    }
}

struct DataQueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query", abstract: "Find records with a filter.",
        discussion: #"pacactl data query app --where 'age >= 18 and city = "서울"' --sort created_at:desc --limit 10"#)

    @Argument(help: "The store.") var store: String
    @OptionGroup var query: QueryOptions
    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        var params = try query.params()
        params["store"] = .string(store)
        let result = try daemon.call("data.query", params)
        if daemon.json { return daemon.printResult(result) }
        var table = Table("ID", "VERSION", "UPDATED", "DATA")
        for record in result["records"]?.arrayValue ?? [] {
            var data = String(decoding: (record["data"] ?? .null).serialized, as: UTF8.self)
            if data.count > 100 { data = String(data.prefix(97)) + "..." }
            table.add(record.text("id"), record.text("version"), record.text("updated_at"), data)
        }
        print(table.render())
    }
}
