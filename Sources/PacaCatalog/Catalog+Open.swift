import PacaCore
import PacaData
public import PacaSystem

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension Catalog {
    /// What opening the catalog found and repaired.
    public struct Recovery: Sendable, Equatable {
        /// Backups that were running when the daemon last stopped, now marked interrupted.
        public var interrupted: [String] = []
        /// Partial archive files removed.
        public var removedPartials: [String] = []
        /// Records imported from an older `catalog.json`.
        public var imported = 0
    }

    /// Loads the catalog in `stateDirectory` (creating the directory when missing) and repairs
    /// what a crash left: running backups become interrupted and their `.partial` files go. A
    /// `catalog.json` from pacad 0.3 is imported on first start and renamed `catalog.json.imported`.
    public static func open(stateDirectory: String, clock: WallClock) async throws(CatalogError) -> (Catalog, Recovery) {
        let path = stateDirectory + "/catalog.sqlite"
        let legacyPath = stateDirectory + "/catalog.json"
        let imported = try await BlockingPool.shared.run { () throws(CatalogError) -> [BackupRecord]? in
            do { try DurableFile.makeDirectories(stateDirectory) } catch {
                throw CatalogError(.storage, "the state directory cannot be made: \(error)", underlying: error)
            }
            return try legacyRecords(legacyPath)
        }
        let store: SQLiteStore
        do {
            store = try await SQLiteStore(path: path, indexed: indexed, clock: { clock.now() })
        } catch {
            throw CatalogError(.storage, "the catalog \(path) cannot be opened: \(error.message)", underlying: error)
        }
        var recovery = Recovery()
        var records: [String: BackupRecord] = [:]
        do throws(DataError) {
            for record in try await store.query(Query()) { records[record.id] = try RecordCodec.decode(record.data, in: path) }
            for record in imported ?? [] where records[record.id] == nil {
                _ = try await store.put(try RecordCodec.encode(record), type: .json, id: record.id)
                records[record.id] = record
                recovery.imported += 1
            }
        } catch {
            throw CatalogError(.storage, "the catalog \(path) cannot be read: \(error.message)", underlying: error)
        }
        if imported != nil {
            try await BlockingPool.shared.run { () throws(CatalogError) in
                do { try DurableFile.rename(legacyPath, to: legacyPath + ".imported") } catch {
                    throw CatalogError(.storage, "\(legacyPath) cannot be renamed after its import: \(error)", underlying: error)
                }
            }
        }
        for var record in records.values where record.status == .running {
            record.status = .interrupted
            record.finishedAt = Int64(clock.now())
            record.error = "the daemon stopped while this backup was being written; its partial archive was removed"
            recovery.interrupted.append(record.id)
            let (partial, sidecar) = (record.path + ".partial", record.path + ".sha256.partial")
            let removed = await BlockingPool.shared.run { () -> Bool in
                _ = try? DurableFile.remove(sidecar)
                return (try? DurableFile.remove(partial)) == true
            }
            if removed { recovery.removedPartials.append(partial) }
            records[record.id] = record
        }
        let catalog = Catalog(path: path, store: store, records: records)
        for id in recovery.interrupted { try await catalog.commit(id) }
        return (catalog, recovery)
    }

    /// The records of a `catalog.json` written by pacad 0.3, or nil when there is none.
    private static func legacyRecords(_ path: String) throws(CatalogError) -> [BackupRecord]? {
        let read: [UInt8]?
        do { read = try DurableFile.read(path) } catch {
            throw CatalogError(.storage, "\(path) cannot be read: \(error)", underlying: error)
        }
        guard let bytes = read else { return nil }
        let file: CatalogDocument
        do { file = try JSONDecoder().decode(CatalogDocument.self, from: Data(bytes)) } catch {
            throw CatalogError(.storage, "\(path) is damaged (\(error)); move it aside to start with an empty catalog", underlying: error)
        }
        guard file.version == CatalogDocument.currentVersion else {
            throw CatalogError(
                .storage, "\(path) has catalog version \(file.version); this pacad reads version \(CatalogDocument.currentVersion)")
        }
        return file.backups
    }
}

/// The shape of `catalog.json` as pacad 0.3 wrote it (read once, to import it).
struct CatalogDocument: Codable {
    static let currentVersion = 1
    var version: Int
    var backups: [BackupRecord]
}
