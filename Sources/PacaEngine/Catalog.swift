public import PacaData
public import PacaCore
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The catalog of backups: every backup's ``BackupRecord``, kept in memory for `status` and
/// persisted in the SQLite record store at `<state_dir>/catalog.sqlite` (one record per backup,
/// its id the backup id), which is also what `backup.list --where` queries. Every change is
/// committed (WAL, synced) before the call returns.
///
/// A backup is recorded as ``BackupRecord/Status/running`` before its archive is written, so a
/// daemon that dies mid-backup leaves a record that ``open(stateDirectory:clock:)`` turns into
/// ``BackupRecord/Status/interrupted``, removing the partial archive it left. A `catalog.json`
/// from pacad 0.3 is imported on first start and renamed `catalog.json.imported`.
public actor Catalog {
    /// What opening the catalog found and repaired.
    public struct Recovery: Sendable, Equatable {
        /// Backups that were running when the daemon last stopped, now marked interrupted.
        public var interrupted: [String] = []
        /// Partial archive files removed.
        public var removedPartials: [String] = []
        /// Records imported from an older `catalog.json`.
        public var imported = 0
    }

    public nonisolated let path: String
    /// The record store behind the catalog, for queries.
    public nonisolated let store: SQLiteStore
    private var records: [String: BackupRecord]
    /// The newest backup id of each set, kept current so `daemon.status` never scans the catalog.
    private var newest: [String: String] = [:]
    /// Backups with a delivery that failed and waits for a retry, kept current for the same reason
    /// (and so retries look only at these).
    private var awaitingRetry: Set<String> = []

    /// Fields the catalog indexes, so the usual `--where` filters do not scan.
    static let indexed = ["set", "status", "started_at", "finished_at", "bytes_in"].map { FieldPath([$0]) }

    private init(path: String, store: SQLiteStore, records: [String: BackupRecord]) {
        self.path = path
        self.store = store
        self.records = records
        for record in records.values where newest[record.set].map({ $0 < record.id }) ?? true { newest[record.set] = record.id }
        awaitingRetry = Set(records.values.filter(Self.hasFailedDelivery).map(\.id))
    }

    private static func hasFailedDelivery(_ record: BackupRecord) -> Bool { record.deliveries.contains { $0.status == .failed } }

    /// Backups with at least one failed delivery, oldest first.
    public func failedDeliveries() -> [BackupRecord] {
        awaitingRetry.compactMap { records[$0] }.sorted { $0.id < $1.id }
    }

    /// Loads the catalog in `stateDirectory` (creating the directory when missing) and repairs
    /// what a crash left: running backups become interrupted and their `.partial` files go.
    public static func open(stateDirectory: String, clock: WallClock) async throws(EngineError) -> (Catalog, Recovery) {
        let path = stateDirectory + "/catalog.sqlite"
        let legacyPath = stateDirectory + "/catalog.json"
        let legacy = await BlockingWork.run("catalog-legacy") { () -> Result<[BackupRecord]?, EngineError> in
            Result { () throws(EngineError) in
                try StateFile.makeDirectories(stateDirectory)
                return try legacyRecords(legacyPath)
            }
        }
        let imported = try legacy.get()
        let store: SQLiteStore
        do {
            store = try await SQLiteStore(path: path, indexed: indexed, clock: { clock.now() })
        } catch {
            throw EngineError(.storage, "the catalog \(path) cannot be opened: \(error.message)")
        }
        var recovery = Recovery()
        var records: [String: BackupRecord] = [:]
        do throws(DataError) {
            for record in try await store.query(Query()) { records[record.id] = try decode(record.data, in: path) }
            for record in imported ?? [] where records[record.id] == nil {
                _ = try await store.put(try encode(record), type: .json, id: record.id)
                records[record.id] = record
                recovery.imported += 1
            }
        } catch {
            throw EngineError(.storage, "the catalog \(path) cannot be read: \(error.message)")
        }
        if imported != nil {
            let renamed = await BlockingWork.run("catalog-legacy") { () -> Result<Void, EngineError> in
                Result { () throws(EngineError) in try StateFile.rename(legacyPath, to: legacyPath + ".imported") }
            }
            try renamed.get()
        }
        for var record in records.values where record.status == .running {
            record.status = .interrupted
            record.finishedAt = Int64(clock.now())
            record.error = "the daemon stopped while this backup was being written; its partial archive was removed"
            recovery.interrupted.append(record.id)
            let partial = record.path + ".partial"
            let removed = await BlockingWork.run("catalog-sweep") { () -> Bool in
                _ = try? StateFile.remove(partial.replacingOccurrences(of: ".zip.partial", with: ".zip.sha256.partial"))
                return (try? StateFile.remove(partial)) == true
            }
            if removed { recovery.removedPartials.append(partial) }
            records[record.id] = record
        }
        let catalog = Catalog(path: path, store: store, records: records)
        for id in recovery.interrupted { try await catalog.persist(records[id]!, isNew: false) }
        return (catalog, recovery)
    }

    /// The records of a `catalog.json` written by pacad 0.3, or nil when there is none.
    private static func legacyRecords(_ path: String) throws(EngineError) -> [BackupRecord]? {
        guard let bytes = try StateFile.read(path) else { return nil }
        let file: CatalogDocument
        do { file = try JSONDecoder().decode(CatalogDocument.self, from: Data(bytes)) } catch {
            throw EngineError(.storage, "\(path) is damaged (\(error)); move it aside to start with an empty catalog")
        }
        guard file.version == CatalogDocument.currentVersion else {
            throw EngineError(
                .storage, "\(path) has catalog version \(file.version); this pacad reads version \(CatalogDocument.currentVersion)")
        }
        return file.backups
    }

    static func encode(_ record: BackupRecord) throws(DataError) -> JSONValue {
        do { return try JSONValue.parse(Array(try JSONEncoder().encode(record))) } catch {
            throw DataError(.storage, "cannot encode backup \(record.id): \(error)")
        }
    }

    static func decode(_ data: JSONValue, in path: String) throws(DataError) -> BackupRecord {
        do { return try JSONDecoder().decode(BackupRecord.self, from: Data(data.serialized)) } catch {
            throw DataError(.storage, "a record in \(path) is not a backup record (\(error))")
        }
    }

    /// The backup with `id`, if cataloged.
    public func record(_ id: String) -> BackupRecord? { records[id] }

    /// Backups oldest first, optionally of one set only.
    public func list(set: String? = nil) -> [BackupRecord] {
        records.values.filter { set == nil || $0.set == set }.sorted { $0.id < $1.id }
    }

    /// Backups that match `query` (fields as `backup.show` names them), in its order.
    public func query(_ query: Query) async throws(EngineError) -> [BackupRecord] {
        do {
            return try await store.query(query).map { record throws(DataError) in try Self.decode(record.data, in: path) }
        } catch {
            throw EngineError(error.code == .invalid ? .validation : .storage, error.message)
        }
    }

    public var count: Int { records.count }

    /// Each set's newest backup and the number of backups, in one call (for `daemon.status`).
    public func summary() -> (latest: [String: BackupRecord], count: Int) { (latestBySet(), records.count) }

    /// The newest backup of each set that has one.
    public func latestBySet() -> [String: BackupRecord] {
        newest.compactMapValues { records[$0] }
    }

    /// Adds or replaces a record and commits it before returning.
    public func save(_ record: BackupRecord) async throws(EngineError) {
        let isNew = records.updateValue(record, forKey: record.id) == nil
        if newest[record.set].map({ $0 <= record.id }) ?? true { newest[record.set] = record.id }
        if Self.hasFailedDelivery(record) { awaitingRetry.insert(record.id) } else { awaitingRetry.remove(record.id) }
        try await persist(record, isNew: isNew)
    }

    /// Removes a record and commits that before returning.
    public func remove(_ id: String) async throws(EngineError) {
        guard let removed = records.removeValue(forKey: id) else { return }
        awaitingRetry.remove(id)
        if newest[removed.set] == id {
            newest[removed.set] = records.values.filter { $0.set == removed.set }.map(\.id).max()
        }
        do { _ = try await store.delete(id, ifVersion: nil) } catch {
            if error.code != .notFound { throw EngineError(.storage, "the catalog cannot remove \(id): \(error.message)") }
        }
    }

    /// Writes `record` to the store: a new record is put, a known one updated (or put, should the
    /// store have lost it).
    private func persist(_ record: BackupRecord, isNew: Bool) async throws(EngineError) {
        do {
            let data = try Self.encode(record)
            if isNew {
                _ = try await store.put(data, type: .json, id: record.id)
                return
            }
            do {
                _ = try await store.update(record.id, data: data, type: .json, ifVersion: nil)
            } catch where error.code == .notFound {
                _ = try await store.put(data, type: .json, id: record.id)
            }
        } catch {
            throw EngineError(.storage, "the catalog cannot record \(record.id): \(error.message)")
        }
    }
}

/// The shape of `catalog.json` as pacad 0.3 wrote it (read once, to import it).
struct CatalogDocument: Codable {
    static let currentVersion = 1
    var version: Int
    var backups: [BackupRecord]
}
