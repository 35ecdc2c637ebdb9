import GRDB
import PacaArchive
import PacaSystem

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The file index's SQLite database (`<state_dir>/files.sqlite`, through GRDB): every path each
/// set's backups held, stored as changes. A path has one row; a version row is added only when a
/// backup finds it new, different (kind, size, digest or link target) or gone. So a backup's
/// tree, a path's history and the difference of two backups are index look-ups whose cost grows
/// with what is shown, never with the number of backups or the size of the archives.
///
/// Tables:
/// - `sets(id, name)`;
/// - `backups(seq, id, set_id, created_at, entries)`: the backups ingested, by catalog sequence;
/// - `paths(id, set_id, parent, name, kind, size, sha256, target, gone)`: one row per path ever
///   seen, under its parent directory's row (0 for a root), with its newest state;
/// - `versions(path_id, seq, kind, size, sha256, mtime, mode, target, gone)`: each change.
///
/// Blocking: call from a thread that may block (``FileIndex`` does).
final class FileIndexStore: Sendable {
    let pool: DatabasePool
    let path: String

    init(path: String) throws(FileIndexError) {
        self.path = path
        var configuration = Configuration()
        configuration.label = "paca.files"
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try pool.write { db in
                try db.execute(
                    sql: """
                        CREATE TABLE IF NOT EXISTS sets (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
                        CREATE TABLE IF NOT EXISTS backups (
                          seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, set_id INTEGER NOT NULL,
                          created_at INTEGER NOT NULL, entries INTEGER NOT NULL);
                        CREATE INDEX IF NOT EXISTS backups_by_set ON backups (set_id, seq);
                        CREATE TABLE IF NOT EXISTS paths (
                          id INTEGER PRIMARY KEY, set_id INTEGER NOT NULL, parent INTEGER NOT NULL, name TEXT NOT NULL,
                          kind TEXT NOT NULL, size INTEGER NOT NULL, sha256 BLOB, target TEXT, gone INTEGER NOT NULL);
                        CREATE UNIQUE INDEX IF NOT EXISTS paths_by_name ON paths (set_id, parent, name);
                        CREATE TABLE IF NOT EXISTS versions (
                          path_id INTEGER NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, size INTEGER NOT NULL,
                          sha256 BLOB, mtime INTEGER NOT NULL, mode TEXT, target TEXT, gone INTEGER NOT NULL,
                          PRIMARY KEY (path_id, seq)) WITHOUT ROWID;
                        CREATE INDEX IF NOT EXISTS versions_by_seq ON versions (seq, path_id);
                        """)
            }
        } catch {
            throw FileIndexError("cannot open the file index \(path): \(error)")
        }
    }

    /// The newest backup sequence the index holds of each set.
    func newestSequences() throws(FileIndexError) -> [String: Int64] {
        do {
            return try pool.read { db in
                var newest: [String: Int64] = [:]
                let sql = "SELECT s.name, MAX(b.seq) FROM backups b JOIN sets s ON s.id = b.set_id GROUP BY s.name"
                for row in try Row.fetchAll(db, sql: sql) { newest[row[0]] = row[1] }
                return newest
            }
        } catch {
            throw FileIndexError("the file index could not be read: \(error)")
        }
    }

    // MARK: Ingest

    /// Adds backup `id` (catalog sequence `sequence`) of `set` from the manifest text at
    /// `manifest`. A backup older than one already ingested for the set is refused: the index
    /// holds changes, which only make sense in order.
    func ingest(id: String, set: String, sequence: Int64, createdAt: Int64, manifest: String) throws(FileIndexError) -> IngestReport {
        let started = SystemTime.monotonic()
        var report = IngestReport(backupID: id)
        do {
            try pool.write { db in
                let setID = try Self.setID(set, in: db, create: true)!
                if try Int64.fetchOne(db, sql: "SELECT 1 FROM backups WHERE id = ?", arguments: [id]) != nil { return }
                if let newest = try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM backups WHERE set_id = ?", arguments: [setID]),
                    newest >= sequence
                {
                    throw FileIndexError("backup \(id) is older than the newest backup of set \(set) in the file index; it was left out")
                }
                var ingest = Ingest(db: db, setID: setID, sequence: sequence)
                try ManifestFile.forEachEntry(at: manifest) { (entry) throws(FileIndexError) in
                    do { try ingest.add(entry) } catch let error as FileIndexError { throw error } catch {
                        throw FileIndexError("the file index could not store \(entry.path): \(error)")
                    }
                }
                try ingest.markGone()
                report.entries = ingest.entries
                report.added = ingest.added
                report.modified = ingest.modified
                report.removed = ingest.removed
                try db.execute(
                    sql: "INSERT INTO backups (seq, id, set_id, created_at, entries) VALUES (?, ?, ?, ?, ?)",
                    arguments: [sequence, id, setID, createdAt, ingest.entries])
            }
        } catch let error as FileIndexError {
            throw error
        } catch {
            throw FileIndexError("the file index could not take backup \(id): \(error)")
        }
        report.seconds = SystemTime.monotonic() - started
        return report
    }

    /// One backup's ingest, inside its transaction.
    struct Ingest {
        let db: Database
        let setID: Int64
        let sequence: Int64
        /// Directory path → row id, for the parents of what follows.
        var directories: [String: Int64] = [:]
        var seen = Set<Int64>()
        var entries = 0, added = 0, modified = 0, removed = 0

        init(db: Database, setID: Int64, sequence: Int64) {
            self.db = db
            self.setID = setID
            self.sequence = sequence
        }

        mutating func add(_ entry: Manifest.Entry) throws {
            guard !entry.isPart, !entry.path.hasPrefix(".paca/") else { return }
            let indexed = IndexedEntry(manifest: entry)
            let (directory, name) = Self.split(entry.path)
            let parent = try directoryID(directory)
            let id = try record(indexed, name: name, parent: parent, mtime: entry.mtime, mode: entry.mode)
            if indexed.kind == .directory { directories[entry.path] = id }
            entries += 1
        }

        /// The row of directory `path`, made (and counted as seen) when the manifest did not list it.
        mutating func directoryID(_ path: String) throws -> Int64 {
            if path.isEmpty { return 0 }
            if let id = directories[path] { return id }
            let (above, name) = Self.split(path)
            let parent = try directoryID(above)
            let id = try record(
                IndexedEntry(name: name, path: path, kind: .directory, size: 0, sha256: nil, mtime: 0), name: name, parent: parent,
                mtime: 0,
                mode: nil)
            directories[path] = id
            return id
        }

        /// Finds or makes the path's row; adds a version when it is new, changed or back.
        mutating func record(_ entry: IndexedEntry, name: String, parent: Int64, mtime: Int64, mode: String?) throws -> Int64 {
            let find = try db.cachedStatement(
                sql: "SELECT id, kind, size, sha256, target, gone FROM paths WHERE set_id = ? AND parent = ? AND name = ?")
            let digest = entry.sha256.flatMap(HexBytes.decode)
            let id: Int64
            if let row = try Row.fetchOne(find, arguments: [setID, parent, name]) {
                id = row[0]
                guard seen.insert(id).inserted else { return id }
                let before = IndexedEntry(
                    name: name, path: entry.path, kind: IndexedEntry.Kind(rawValue: row[1]) ?? .special, size: UInt64(row[2] as Int64),
                    sha256: (row[3] as Data?).map { $0.hexString }, mtime: 0, target: row[4])
                let wasGone: Bool = row[5]
                guard wasGone || before.differs(from: entry) else { return id }
                if wasGone { added += 1 } else { modified += 1 }
                try db.cachedStatement(sql: "UPDATE paths SET kind = ?, size = ?, sha256 = ?, target = ?, gone = 0 WHERE id = ?")
                    .execute(arguments: [entry.kind.rawValue, Int64(entry.size), digest, entry.target, id])
            } else {
                try db.cachedStatement(
                    sql: "INSERT INTO paths (set_id, parent, name, kind, size, sha256, target, gone) VALUES (?, ?, ?, ?, ?, ?, ?, 0)"
                ).execute(arguments: [setID, parent, name, entry.kind.rawValue, Int64(entry.size), digest, entry.target])
                id = db.lastInsertedRowID
                seen.insert(id)
                added += 1
            }
            try db.cachedStatement(
                sql: "INSERT INTO versions (path_id, seq, kind, size, sha256, mtime, mode, target, gone) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)"
            ).execute(arguments: [id, sequence, entry.kind.rawValue, Int64(entry.size), digest, mtime, mode, entry.target])
            return id
        }

        /// Every path of the set that was there before and is not in this backup gets a `gone` version.
        mutating func markGone() throws {
            let live = try Int64.fetchAll(db, sql: "SELECT id FROM paths WHERE set_id = ? AND gone = 0", arguments: [setID])
            let insert = try db.cachedStatement(
                sql:
                    "INSERT INTO versions (path_id, seq, kind, size, sha256, mtime, mode, target, gone) VALUES (?, ?, 'file', 0, NULL, 0, NULL, NULL, 1)"
            )
            let update = try db.cachedStatement(sql: "UPDATE paths SET gone = 1 WHERE id = ?")
            for id in live where !seen.contains(id) {
                try insert.execute(arguments: [id, sequence])
                try update.execute(arguments: [id])
                removed += 1
            }
        }

        /// `a/b/c` → (`a/b`, `c`); `a` → (``, `a`).
        static func split(_ path: String) -> (String, String) {
            guard let slash = path.lastIndex(of: "/") else { return ("", path) }
            return (String(path[..<slash]), String(path[path.index(after: slash)...]))
        }
    }

    static func setID(_ name: String, in db: Database, create: Bool) throws -> Int64? {
        if let id = try Int64.fetchOne(db, sql: "SELECT id FROM sets WHERE name = ?", arguments: [name]) { return id }
        guard create else { return nil }
        try db.execute(sql: "INSERT INTO sets (name) VALUES (?)", arguments: [name])
        return db.lastInsertedRowID
    }
}

extension IndexedEntry {
    init(manifest entry: Manifest.Entry) {
        let kind: Kind =
            switch entry.type {
            case .file: .file
            case .directory: .directory
            case .symlink: .symlink
            default: .special
            }
        let name = entry.path.split(separator: "/").last.map(String.init) ?? entry.path
        self.init(
            name: name, path: entry.path, kind: kind, size: kind == .file ? entry.size : 0, sha256: entry.sha256, mtime: entry.mtime,
            mode: entry.mode, target: entry.target)
    }
}

/// The 32 bytes of a digest from its hex text.
enum HexBytes {
    static func decode(_ text: String) -> Data? {
        var bytes = [UInt8]()
        bytes.reserveCapacity(text.utf8.count / 2)
        var high: UInt8?
        for unit in text.utf8 {
            let value: UInt8
            switch unit {
            case 0x30...0x39: value = unit - 0x30
            case 0x61...0x66: value = unit - 0x61 + 10
            case 0x41...0x46: value = unit - 0x41 + 10
            default: return nil
            }
            if let first = high {
                bytes.append(first << 4 | value)
                high = nil
            } else {
                high = value
            }
        }
        return high == nil ? Data(bytes) : nil
    }
}
