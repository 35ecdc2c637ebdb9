public import PacaCore

/// Seconds since the Unix epoch, injected so tests can fix the time records get.
public typealias DataClock = @Sendable () -> Double

/// Records in memory only: fast, and gone when the daemon stops. Declared fields are indexed.
public actor MemoryStore: DataStore {
    public nonisolated let kind = "memory"
    var table: RecordTable
    let clock: DataClock
    let ids: RecordIDs

    public init(indexed: [FieldPath] = [], clock: @escaping DataClock, ids: RecordIDs = RecordIDs()) {
        table = RecordTable(indexed: indexed)
        self.clock = clock
        self.ids = ids
    }

    public func put(_ data: JSONValue, type: Record.DataType?, id: String?) throws(DataError) -> Record {
        let record = try RecordWrites.new(data, type: type, id: id, in: table, clock: clock, ids: ids)
        table.store(record)
        return record
    }

    public func get(_ id: String) throws(DataError) -> Record {
        guard let record = table[id] else { throw RecordRules.notFound(id) }
        return record
    }

    public func update(_ id: String, data: JSONValue, type: Record.DataType?, ifVersion: Int64?) throws(DataError) -> Record {
        let record = try RecordWrites.updated(id, data: data, type: type, ifVersion: ifVersion, in: table, clock: clock)
        table.store(record)
        return record
    }

    public func delete(_ id: String, ifVersion: Int64?) throws(DataError) -> Record {
        let record = try RecordWrites.deletable(id, ifVersion: ifVersion, in: table)
        table.remove(id)
        return record
    }

    public func query(_ query: Query) throws(DataError) -> [Record] {
        try RecordRules.check(query)
        return table.answer(query)
    }

    public func count() -> Int { table.count }
}

/// What a write does to a ``RecordTable``, decided before anything changes (so the file store can
/// log it first).
enum RecordWrites {
    static func new(
        _ data: JSONValue, type: Record.DataType?, id: String?, in table: RecordTable, clock: DataClock, ids: RecordIDs
    ) throws(DataError) -> Record {
        let resolved = try RecordRules.type(of: data, declared: type)
        let now = clock()
        let id = id ?? ids.next(unixMilliseconds: Int64(now * 1000))
        try RecordRules.checkID(id)
        guard table[id] == nil else { throw DataError(.conflict, "a record with id \"\(id)\" already exists") }
        return Record(id: id, data: data, type: resolved, createdAt: Int64(now), updatedAt: Int64(now), version: 1)
    }

    static func updated(
        _ id: String, data: JSONValue, type: Record.DataType?, ifVersion: Int64?, in table: RecordTable, clock: DataClock
    ) throws(DataError) -> Record {
        guard var record = table[id] else { throw RecordRules.notFound(id) }
        if let ifVersion, ifVersion != record.version {
            throw RecordRules.conflict(id, expected: ifVersion, actual: record.version)
        }
        record.type = try RecordRules.type(of: data, declared: type)
        record.data = data
        record.updatedAt = max(record.createdAt, Int64(clock()))
        record.version += 1
        return record
    }

    static func deletable(_ id: String, ifVersion: Int64?, in table: RecordTable) throws(DataError) -> Record {
        guard let record = table[id] else { throw RecordRules.notFound(id) }
        if let ifVersion, ifVersion != record.version {
            throw RecordRules.conflict(id, expected: ifVersion, actual: record.version)
        }
        return record
    }
}
