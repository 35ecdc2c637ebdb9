public import PacaCore

/// A place records live: memory, an append-only file, SQLite, or a cache in front of another.
/// Every store gives the same answer to the same query (``Query/answer(from:)`` is the rule), so
/// callers choose one for durability and speed, not for semantics.
public protocol DataStore: Sendable {
    /// `memory`, `file`, `sqlite` or `cache`.
    var kind: String { get }

    /// Stores a new record; `id` is generated when nil. The type is inferred when nil.
    func put(_ data: JSONValue, type: Record.DataType?, id: String?) async throws(DataError) -> Record
    func get(_ id: String) async throws(DataError) -> Record
    /// Replaces the data of `id`; with `ifVersion`, only when the record still has that version.
    func update(_ id: String, data: JSONValue, type: Record.DataType?, ifVersion: Int64?) async throws(DataError) -> Record
    /// Removes `id` and returns it as it was; with `ifVersion`, only when it still has that version.
    func delete(_ id: String, ifVersion: Int64?) async throws(DataError) -> Record
    func query(_ query: Query) async throws(DataError) -> [Record]
    /// How many records the store holds.
    func count() async throws(DataError) -> Int
}

/// The checks every store makes the same way.
enum RecordRules {
    /// The type `data` is stored as, or the reason it cannot be.
    static func type(of data: JSONValue, declared: Record.DataType?) throws(DataError) -> Record.DataType {
        let type = declared ?? Record.DataType.inferred(for: data)
        if let problem = type.problem(with: data) { throw DataError(.invalid, problem) }
        return type
    }

    static func checkID(_ id: String) throws(DataError) {
        guard !id.isEmpty, id.utf8.count <= 200 else { throw DataError(.invalid, "a record id is 1-200 bytes") }
    }

    static func notFound(_ id: String) -> DataError { DataError(.notFound, "no record with id \"\(id)\"") }

    static func conflict(_ id: String, expected: Int64, actual: Int64) -> DataError {
        DataError(.conflict, "record \"\(id)\" is at version \(actual), not \(expected): it changed since it was read")
    }

    /// The limit a query may ask for.
    static let maximumLimit = 100_000

    static func check(_ query: Query) throws(DataError) {
        if let limit = query.limit, !(1...maximumLimit).contains(limit) {
            throw DataError(.invalid, "limit \(limit) is out of range 1-\(maximumLimit)")
        }
        guard query.offset >= 0 else { throw DataError(.invalid, "offset \(query.offset) is negative") }
    }
}
