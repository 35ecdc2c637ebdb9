import GRDB
public import PacaCore
import PacaSystem

/// Records in SQLite (through GRDB): one table, the data as JSON text, WAL mode with
/// `synchronous = FULL` so an acknowledged write survives a crash or a power cut, an expression
/// index per declared field, and filters translated to parameterised SQL by ``SQLTranslator``.
/// Concurrent writes are committed together in one transaction (``GroupCommit``).
public final class SQLiteStore: DataStore {
    public let kind = "sqlite"
    public let path: String
    let pool: DatabasePool
    let translator: SQLTranslator
    let clock: DataClock
    let ids: RecordIDs
    let committer: GroupCommit<Write, Result<PacaCore.Record, DataError>>

    enum Write: Sendable {
        case put(JSONValue, PacaCore.Record.DataType?, String?)
        case update(String, JSONValue, PacaCore.Record.DataType?, Int64?)
        case delete(String, Int64?)
    }

    static let columns = "id, type, data, created_at, updated_at, version"

    public init(path: String, indexed: [FieldPath] = [], clock: @escaping DataClock, ids: RecordIDs = RecordIDs()) async throws(DataError) {
        var configuration = Configuration()
        configuration.label = "paca.sqlite"
        configuration.prepareDatabase { db in
            db.add(function: SQLiteStore.extract)
            db.add(function: SQLiteStore.type)
            SQLiteFunctions.install(on: db)
        }
        let dataPaths = indexed.filter { $0.metadata == nil }
        for path in dataPaths where SQLTranslator.jsonPath(path) == nil {
            throw DataError(.invalid, "cannot index \(path): an indexed field name cannot contain a double quote")
        }
        let settings = configuration
        let opened = await BlockingPool.shared.run { () -> Result<DatabasePool, DataError> in
            do {
                let pool = try DatabasePool(path: path, configuration: settings)
                // GRDB turns WAL on with synchronous = NORMAL, which can lose the last commits to a
                // power cut; every acknowledged write here must survive one, and only the writer
                // connection commits.
                try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
                try pool.write { db in
                    try db.execute(
                        sql: """
                            CREATE TABLE IF NOT EXISTS records (
                              id TEXT NOT NULL PRIMARY KEY,
                              type TEXT NOT NULL,
                              data TEXT NOT NULL,
                              created_at INTEGER NOT NULL,
                              updated_at INTEGER NOT NULL,
                              version INTEGER NOT NULL
                            )
                            """)
                    for path in dataPaths {
                        let literal = SQLTranslator.literal(path)!
                        try db.execute(
                            sql:
                                "CREATE INDEX IF NOT EXISTS \"records_by_\(Self.indexName(path))\" ON records (json_extract(data, \(literal)), id)"
                        )
                    }
                }
                return .success(pool)
            } catch {
                return .failure(DataError(.storage, "cannot open the SQLite store \(path): \(Self.describe(error))"))
            }
        }
        pool = try opened.get()
        self.path = path
        translator = SQLTranslator(indexed: Set(dataPaths))
        self.clock = clock
        self.ids = ids
        let pool = self.pool
        committer = GroupCommit { writes in Self.commit(writes, pool: pool, clock: clock, ids: ids) }
    }

    public func put(_ data: JSONValue, type: PacaCore.Record.DataType?, id: String?) async throws(DataError) -> PacaCore.Record {
        _ = try RecordRules.type(of: data, declared: type)
        return try await committer.submit(.put(data, type, id)).get()
    }

    public func update(_ id: String, data: JSONValue, type: PacaCore.Record.DataType?, ifVersion: Int64?) async throws(DataError)
        -> PacaCore.Record
    {
        _ = try RecordRules.type(of: data, declared: type)
        return try await committer.submit(.update(id, data, type, ifVersion)).get()
    }

    public func delete(_ id: String, ifVersion: Int64?) async throws(DataError) -> PacaCore.Record {
        try await committer.submit(.delete(id, ifVersion)).get()
    }

    public func get(_ id: String) async throws(DataError) -> PacaCore.Record {
        let found = try await read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.columns) FROM records WHERE id = ?", arguments: [id]).map(Self.record)
        }
        guard let record = try found.get() else { throw RecordRules.notFound(id) }
        return record
    }

    public func query(_ query: Query) async throws(DataError) -> [PacaCore.Record] {
        try RecordRules.check(query)
        var statement = select(query)
        if query.limit != nil || query.offset > 0 {
            statement =
                statement + SQLFragment(" LIMIT ? OFFSET ?", [Int64(query.limit ?? -1).databaseValue, Int64(query.offset).databaseValue])
        }
        let final = statement
        let rows = try await read { db in
            try Row.fetchAll(db, sql: final.sql, arguments: StatementArguments(final.arguments)).map(Self.record)
        }
        return try rows.get()
    }

    public func count() async throws(DataError) -> Int {
        try await read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM records") ?? 0 }.get()
    }

    /// `SELECT … WHERE … ORDER BY …` for `query`, without its page.
    private func select(_ query: Query) -> SQLFragment {
        var statement = SQLFragment("SELECT \(Self.columns) FROM records")
        if let filter = query.filter { statement = statement + SQLFragment(" WHERE ") + translator.condition(filter) }
        return statement + translator.ordering(query)
    }

    /// The writer's `PRAGMA synchronous` (2 is FULL), for the test that holds it to its promise.
    func synchronousMode() async throws -> Int {
        try await pool.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    /// The SQL a query runs, for tests that check an index is used.
    func explain(_ query: Query) async throws(DataError) -> [String] {
        let final = SQLFragment("EXPLAIN QUERY PLAN ") + select(query)
        return try await read { db in
            try Row.fetchAll(db, sql: final.sql, arguments: StatementArguments(final.arguments)).map { $0["detail"] as String }
        }.get()
    }

    private func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(DataError) -> Result<T, DataError> {
        do {
            return .success(try await pool.read(body))
        } catch let error as DataError {
            return .failure(error)
        } catch {
            throw DataError(.storage, "SQLite store \(path): \(Self.describe(error))")
        }
    }

    /// Runs a batch of writes in one transaction. A write refused for its own reasons (not
    /// found, conflict) changes nothing and answers alone; a database failure fails the batch.
    static func commit(_ writes: [Write], pool: DatabasePool, clock: DataClock, ids: RecordIDs) -> [Result<PacaCore.Record, DataError>] {
        do {
            return try pool.write { db in
                try writes.map { write throws -> Result<PacaCore.Record, DataError> in
                    do {
                        return .success(try apply(write, db: db, clock: clock, ids: ids))
                    } catch let error as DataError {
                        return .failure(error)
                    }
                }
            }
        } catch {
            let failure = DataError(.storage, "SQLite write failed: \(describe(error))")
            return Array(repeating: .failure(failure), count: writes.count)
        }
    }

    private static func apply(_ write: Write, db: Database, clock: DataClock, ids: RecordIDs) throws -> PacaCore.Record {
        let now = clock()
        switch write {
        case .put(let data, let type, let id):
            let resolved = try RecordRules.type(of: data, declared: type)
            let id = id ?? ids.next(unixMilliseconds: Int64(now * 1000))
            try RecordRules.checkID(id)
            if try existing(id, db: db) != nil { throw DataError(.conflict, "a record with id \"\(id)\" already exists") }
            let record = PacaCore.Record(id: id, data: data, type: resolved, createdAt: Int64(now), updatedAt: Int64(now))
            try db.execute(
                sql: "INSERT INTO records (\(columns)) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [
                    record.id, record.type.rawValue, String(decoding: data.serialized, as: UTF8.self), record.createdAt, record.updatedAt,
                    1,
                ])
            return record
        case .update(let id, let data, let type, let ifVersion):
            guard var record = try existing(id, db: db) else { throw RecordRules.notFound(id) }
            if let ifVersion, ifVersion != record.version { throw RecordRules.conflict(id, expected: ifVersion, actual: record.version) }
            record.type = try RecordRules.type(of: data, declared: type)
            record.data = data
            record.updatedAt = max(record.createdAt, Int64(now))
            record.version += 1
            try db.execute(
                sql: "UPDATE records SET type = ?, data = ?, updated_at = ?, version = ? WHERE id = ?",
                arguments: [record.type.rawValue, String(decoding: data.serialized, as: UTF8.self), record.updatedAt, record.version, id])
            return record
        case .delete(let id, let ifVersion):
            guard let record = try existing(id, db: db) else { throw RecordRules.notFound(id) }
            if let ifVersion, ifVersion != record.version { throw RecordRules.conflict(id, expected: ifVersion, actual: record.version) }
            try db.execute(sql: "DELETE FROM records WHERE id = ?", arguments: [id])
            return record
        }
    }

    private static func existing(_ id: String, db: Database) throws -> PacaCore.Record? {
        try Row.fetchOne(db, sql: "SELECT \(columns) FROM records WHERE id = ?", arguments: [id]).map(record)
    }

    static func record(_ row: Row) throws -> PacaCore.Record {
        let text: String = row["data"]
        let typeName: String = row["type"]
        guard let data = try? JSONValue.parse(Array(text.utf8)), let type = PacaCore.Record.DataType(rawValue: typeName) else {
            throw DataError(.storage, "record \"\(row["id"] as String)\" in the database is not readable")
        }
        return PacaCore.Record(
            id: row["id"], data: data, type: type, createdAt: row["created_at"], updatedAt: row["updated_at"], version: row["version"])
    }

    static func indexName(_ path: FieldPath) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in path.components.joined(separator: "\u{0}").utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }

    static func describe(_ error: any Error) -> String {
        if let database = error as? DatabaseError { return database.message ?? "\(database.resultCode)" }
        return "\(error)"
    }

    // Field access for names SQLite's JSON paths cannot spell; arguments: data, components as a JSON array.
    static let extract = DatabaseFunction("paca_json_extract", argumentCount: 2, pure: true) { values in
        guard let value = field(values) else { return nil }
        switch value {
        case .null, .array, .object: return value == .null ? nil : String(decoding: value.serialized, as: UTF8.self)
        case .bool(let flag): return flag ? 1 : 0
        case .int(let number): return number
        case .double(let number): return number
        case .string(let text): return text
        }
    }

    static let type = DatabaseFunction("paca_json_type", argumentCount: 2, pure: true) { values in
        guard let value = field(values) else { return nil }
        switch value {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .int: return "integer"
        case .double: return "real"
        case .string: return "text"
        case .array: return "array"
        case .object: return "object"
        }
    }

    private static func field(_ values: [DatabaseValue]) -> JSONValue? {
        guard let text = String.fromDatabaseValue(values[0]), let pathText = String.fromDatabaseValue(values[1]),
            let data = try? JSONValue.parse(Array(text.utf8)), case .array(let components)? = try? JSONValue.parse(Array(pathText.utf8))
        else { return nil }
        var current = data
        for component in components {
            guard case .string(let name) = component, case .object(let members) = current, let next = members[name] else { return nil }
            current = next
        }
        return current
    }
}
