import ArgumentParser
import PacaProtocol

struct DataUpdateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update", abstract: "Replace a record's data.",
        discussion:
            "With --if-version N the update happens only if the record is still at version N; otherwise it fails (exit 1) and nothing changes."
    )

    @Argument(help: "The store.") var store: String
    @Argument(help: "The record id.") var id: String
    @Argument(help: "The new data as JSON, or - for standard input.") var data: String
    @Option(name: .customLong("if-version"), help: "Only if the record is at this version.") var ifVersion: Int64?
    @Option(help: "The data's type; default: from the JSON.") var type: String?
    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let params = DataUpdateParams(
            store: store, id: id, data: try DataCommand.json(data), type: try DataCommand.type(type), ifVersion: ifVersion)
        let reply = try daemon.call(Methods.dataUpdate, params)
        if daemon.json { return daemon.printResult(reply) }
        print("\(reply.result.id) is at version \(reply.result.version)")
    }
}

struct DataDeleteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a record.")

    @Argument(help: "The store.") var store: String
    @Argument(help: "The record id.") var id: String
    @Option(name: .customLong("if-version"), help: "Only if the record is at this version.") var ifVersion: Int64?
    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let reply = try daemon.call(Methods.dataDelete, DataDeleteParams(store: store, id: id, ifVersion: ifVersion))
        if daemon.json { return daemon.printResult(reply) }
        print("deleted \(reply.result.id)")
    }
}
