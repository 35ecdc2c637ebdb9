import ArgumentParser
import PacaCore
import PacaProtocol
import PacaSystem

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
            do { bytes = try StandardStreams.readInput() } catch {
                throw ValidationError("cannot read the record from standard input: \(error)")
            }
        }
        do { return try JSONValue.parse(bytes) } catch {
            throw ValidationError("the record is not valid JSON: \(error)")
        }
    }

    /// A `--type` value, or a usage error listing the types.
    static func type(_ name: String?) throws -> Record.DataType? {
        guard let name else { return nil }
        guard let type = Record.DataType(rawValue: name) else {
            throw ValidationError("--type \"\(name)\" is not one of \(Record.DataType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return type
    }

    static func show(_ record: DataRecord) {
        print("\(record.id)  version \(record.version)  \(record.type.rawValue)  updated \(record.updatedAt.text)")
        print(String(decoding: record.data.serialized, as: UTF8.self))
    }
}
