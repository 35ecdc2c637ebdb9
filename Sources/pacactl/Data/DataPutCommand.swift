import ArgumentParser
import PacaProtocol

struct DataPutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "put", abstract: "Store a new record; prints its id.")

    @Argument(help: "The store.") var store: String
    @Argument(help: "The record's data as JSON, or - to read it from standard input.") var data: String
    @Option(help: "json, string, integer, float, boolean, datetime or binary (base64); default: from the JSON.") var type: String?
    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let params = DataPutParams(store: store, data: try DataCommand.json(data), type: try DataCommand.type(type))
        let reply = try daemon.call(Methods.dataPut, params)
        if daemon.json { return daemon.printResult(reply) }
        print(reply.result.id)
    }
}

struct DataGetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Print one record.")

    @Argument(help: "The store.") var store: String
    @Argument(help: "The record id.") var id: String
    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let reply = try daemon.call(Methods.dataGet, DataGetParams(store: store, id: id))
        if daemon.json { return daemon.printResult(reply) }
        DataCommand.show(reply.result)
    }
}
