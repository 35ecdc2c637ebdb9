public import PacaCore
public import PacaData
import PacaSystem

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The catalog of backups: every backup's ``BackupRecord``, kept in memory for `status` and
/// persisted in the SQLite record store at `<state_dir>/catalog.sqlite` (one record per backup,
/// its id the backup id), which is also what `backup.list --where` queries.
///
/// Changes are atomic: ``update(_:_:)`` reads, changes and stores a record inside the actor, so
/// two changes to one backup (a delivery retried while a prune marks another) can never undo each
/// other the way a read, an `await` and a write-back could. Every change is committed (WAL, synced)
/// before the call returns, in the order the changes were made.
///
/// A backup is recorded as ``BackupRecord/Status/running`` before its archive is written, so a
/// daemon that dies mid-backup leaves a record that ``open(stateDirectory:clock:)`` turns into
/// ``BackupRecord/Status/interrupted``.
public actor Catalog {
    public nonisolated let path: String
    /// The record store behind the catalog, for queries.
    public nonisolated let store: SQLiteStore
    var records: [String: BackupRecord]
    /// The highest ``BackupRecord/sequence`` taken so far (records removed since included).
    private var lastSequence: Int64 = 0
    /// The newest backup id of each set, kept current so `daemon.status` never scans the catalog.
    private var newest: [String: String] = [:]
    /// Backups with a delivery that failed and waits for a retry, kept current for the same reason
    /// (and so retries look only at these).
    private var awaitingRetry: Set<String> = []
    /// Commits go through one at a time, in the order the changes were made.
    private let writes = SerialGate()

    /// Fields the catalog indexes, so the usual `--where` filters do not scan.
    static let indexed = ["set", "status", "started_at", "finished_at", "bytes_in"].map { FieldPath([$0]) }

    init(path: String, store: SQLiteStore, records: [String: BackupRecord]) {
        self.path = path
        self.store = store
        self.records = records
        for record in records.values where newest[record.set].map({ $0 < record.id }) ?? true { newest[record.set] = record.id }
        awaitingRetry = Set(records.values.filter(Self.hasFailedDelivery).map(\.id))
        lastSequence = records.values.compactMap(\.sequence).max() ?? 0
    }

    private static func hasFailedDelivery(_ record: BackupRecord) -> Bool { record.deliveries.contains { $0.status == .failed } }

    /// The backup with `id`, if cataloged.
    public func record(_ id: String) -> BackupRecord? { records[id] }

    /// Backups oldest first, optionally of one set only.
    public func list(set: String? = nil) -> [BackupRecord] {
        records.values.filter { set == nil || $0.set == set }.sorted { $0.id < $1.id }
    }

    /// The backups `isIncluded` picks, in no order: for whole-catalog passes that need no sort
    /// (the scrub's copies, `status`).
    public func records(where isIncluded: (BackupRecord) -> Bool) -> [BackupRecord] { records.values.filter(isIncluded) }

    /// Backups with at least one failed delivery, oldest first.
    public func failedDeliveries() -> [BackupRecord] {
        awaitingRetry.compactMap { records[$0] }.sorted { $0.id < $1.id }
    }

    /// Backups that match `query` (fields as `backup.show` names them), in its order.
    public func query(_ query: Query) async throws(CatalogError) -> [BackupRecord] {
        do {
            return try await store.query(query).map { record throws(DataError) in try RecordCodec.decode(record.data, in: path) }
        } catch {
            throw CatalogError(error.code == .invalid ? .invalidQuery : .storage, error.message, underlying: error)
        }
    }

    public var count: Int { records.count }

    /// Each set's newest backup and the number of backups, in one call (for `daemon.status`).
    public func summary() -> (latest: [String: BackupRecord], count: Int) { (latestBySet(), records.count) }

    /// The newest backup of each set that has one.
    public func latestBySet() -> [String: BackupRecord] {
        newest.compactMapValues { records[$0] }
    }

    /// Adds a new backup's record and commits it before returning. Refuses an id already cataloged.
    public func insert(_ record: BackupRecord) async throws(CatalogError) {
        guard records[record.id] == nil else { throw CatalogError(.storage, "backup \(record.id) is already in the catalog") }
        var record = record
        if record.sequence == nil { record.sequence = lastSequence + 1 }
        remember(record)
        try await commit(record.id)
    }

    /// Changes backup `id` with `change`, atomically, and commits it before returning. Returns
    /// what `change` returned, or nil when there is no such backup. Nothing is written when
    /// `change` leaves the record as it was.
    @discardableResult
    public func update<T>(_ id: String, _ change: (inout BackupRecord) -> T) async throws(CatalogError) -> T? {
        guard var record = records[id] else { return nil }
        let before = record
        let result = change(&record)
        guard record != before else { return result }
        precondition(record.id == id, "a catalog update cannot change a backup's id")
        remember(record)
        try await commit(id)
        return result
    }

    /// Removes a record and commits that before returning; true when it was there.
    @discardableResult
    public func remove(_ id: String) async throws(CatalogError) -> Bool {
        guard let removed = records.removeValue(forKey: id) else { return false }
        awaitingRetry.remove(id)
        if newest[removed.set] == id {
            newest[removed.set] = records.values.filter { $0.set == removed.set }.map(\.id).max()
        }
        try await commit(id)
        return true
    }

    private func remember(_ record: BackupRecord) {
        records[record.id] = record
        lastSequence = max(lastSequence, record.sequence ?? 0)
        if newest[record.set].map({ $0 <= record.id }) ?? true { newest[record.set] = record.id }
        if Self.hasFailedDelivery(record) { awaitingRetry.insert(record.id) } else { awaitingRetry.remove(record.id) }
    }

    /// Writes backup `id` as memory has it now (or its removal) to the store. Commits run one at a
    /// time in call order and each writes the latest state, so the store ends as memory is.
    func commit(_ id: String) async throws(CatalogError) {
        try await writes.run { () async throws(CatalogError) in
            do throws(DataError) {
                guard let record = records[id] else {
                    do throws(DataError) { _ = try await store.delete(id, ifVersion: nil) } catch  where error.code == .notFound {}
                    return
                }
                let data = try RecordCodec.encode(record)
                do throws(DataError) {
                    _ = try await store.update(id, data: data, type: .json, ifVersion: nil)
                } catch  where error.code == .notFound {
                    _ = try await store.put(data, type: .json, id: id)
                }
            } catch {
                throw CatalogError(.storage, "the catalog cannot record \(id): \(error.message)", underlying: error)
            }
        }
    }
}

/// Backup records as the catalog's store keeps them: the JSON of ``BackupRecord``'s `Codable` form.
enum RecordCodec {
    static func encode(_ record: BackupRecord) throws(DataError) -> JSONValue {
        do { return try JSONValue.parse(Array(try JSONEncoder().encode(record))) } catch {
            throw DataError(.storage, "cannot encode backup \(record.id): \(error)", underlying: error)
        }
    }

    static func decode(_ data: JSONValue, in path: String) throws(DataError) -> BackupRecord {
        do { return try JSONDecoder().decode(BackupRecord.self, from: Data(data.serialized)) } catch {
            throw DataError(.storage, "a record in \(path) is not a backup record (\(error))", underlying: error)
        }
    }
}
