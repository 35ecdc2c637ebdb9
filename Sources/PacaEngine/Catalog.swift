import PacaData
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The catalog of backups: every backup's ``BackupRecord``, kept in memory and persisted to
/// `<state_dir>/catalog.json` after every change (written whole, fsynced and renamed, on a serial
/// queue of its own so the cooperative pool never blocks on the disk).
///
/// A backup is recorded as ``BackupRecord/Status/running`` before its archive is written, so a
/// daemon that dies mid-backup leaves a record that ``open(stateDirectory:clock:)`` turns into
/// ``BackupRecord/Status/interrupted``, removing the partial archive it left.
public actor Catalog {
    /// What opening the catalog found and repaired.
    public struct Recovery: Sendable, Equatable {
        /// Backups that were running when the daemon last stopped, now marked interrupted.
        public var interrupted: [String] = []
        /// Partial archive files removed.
        public var removedPartials: [String] = []
    }

    public var path: String { file.path }
    private let file: StateDocument
    private var records: [String: BackupRecord]
    /// The newest backup id of each set, kept current so `daemon.status` never scans the catalog.
    private var newest: [String: String] = [:]

    private init(path: String, records: [String: BackupRecord]) {
        self.file = StateDocument(path: path)
        self.records = records
        for record in records.values where newest[record.set].map({ $0 < record.id }) ?? true { newest[record.set] = record.id }
    }

    /// Loads the catalog in `stateDirectory` (creating the directory when missing) and repairs
    /// what a crash left: running backups become interrupted and their `.partial` files go.
    public static func open(stateDirectory: String, clock: WallClock) async throws(EngineError) -> (Catalog, Recovery) {
        let path = stateDirectory + "/catalog.json"
        let loaded = await BlockingWork.run("catalog-open") { () -> Result<([String: BackupRecord], Recovery), EngineError> in
            Result { () throws(EngineError) in try load(path, stateDirectory: stateDirectory, clock: clock) }
        }
        let (records, recovery) = try loaded.get()
        let catalog = Catalog(path: path, records: records)
        if !recovery.interrupted.isEmpty { try await catalog.persist() }
        return (catalog, recovery)
    }

    private static func load(_ path: String, stateDirectory: String, clock: WallClock) throws(EngineError) -> (
        [String: BackupRecord], Recovery
    ) {
        try StateFile.makeDirectories(stateDirectory)
        guard let bytes = try StateFile.read(path) else { return ([:], Recovery()) }
        let file: CatalogDocument
        do { file = try JSONDecoder().decode(CatalogDocument.self, from: Data(bytes)) } catch {
            throw EngineError(.storage, "\(path) is damaged (\(error)); move it aside to start with an empty catalog")
        }
        guard file.version == CatalogDocument.currentVersion else {
            throw EngineError(
                .storage, "\(path) has catalog version \(file.version); this pacad reads version \(CatalogDocument.currentVersion)")
        }
        var recovery = Recovery()
        var records: [String: BackupRecord] = [:]
        for var record in file.backups {
            if record.status == .running {
                record.status = .interrupted
                record.finishedAt = Int64(clock.now())
                record.error = "the daemon stopped while this backup was being written; its partial archive was removed"
                recovery.interrupted.append(record.id)
                if (try? StateFile.remove(record.path + ".partial")) == true { recovery.removedPartials.append(record.path + ".partial") }
                _ = try? StateFile.remove(record.path + ".sha256.partial")
            }
            records[record.id] = record
        }
        return (records, recovery)
    }

    /// The backup with `id`, if cataloged.
    public func record(_ id: String) -> BackupRecord? { records[id] }

    /// Backups oldest first, optionally of one set only.
    public func list(set: String? = nil) -> [BackupRecord] {
        records.values.filter { set == nil || $0.set == set }.sorted { $0.id < $1.id }
    }

    public var count: Int { records.count }

    /// Each set's newest backup and the number of backups, in one call (for `daemon.status`).
    public func summary() -> (latest: [String: BackupRecord], count: Int) { (latestBySet(), records.count) }

    /// The newest backup of each set that has one.
    public func latestBySet() -> [String: BackupRecord] {
        newest.compactMapValues { records[$0] }
    }

    /// Adds or replaces a record and persists the catalog before returning.
    public func save(_ record: BackupRecord) async throws(EngineError) {
        records[record.id] = record
        if newest[record.set].map({ $0 <= record.id }) ?? true { newest[record.set] = record.id }
        try await persist()
    }

    /// Removes a record and persists the catalog before returning.
    public func remove(_ id: String) async throws(EngineError) {
        guard let removed = records.removeValue(forKey: id) else { return }
        if newest[removed.set] == id {
            newest[removed.set] = records.values.filter { $0.set == removed.set }.map(\.id).max()
        }
        try await persist()
    }

    /// Writes the current records (snapshots are written in call order; see ``StateDocument``).
    private func persist() async throws(EngineError) {
        try await file.save(CatalogDocument(version: CatalogDocument.currentVersion, backups: records.values.sorted { $0.id < $1.id }))
    }
}

/// The on-disk shape of `catalog.json`.
struct CatalogDocument: Codable {
    static let currentVersion = 1
    var version: Int
    var backups: [BackupRecord]
}
