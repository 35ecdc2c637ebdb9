import GRDB

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension FileIndexStore {
    /// The backup with catalog sequence `sequence`, if ingested.
    func backup(_ id: String) throws -> IndexedBackup? {
        try pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT b.seq, b.id, s.name, b.entries FROM backups b JOIN sets s ON s.id = b.set_id WHERE b.id = ?",
                arguments: [id]
            ).map { IndexedBackup(sequence: $0[0], backupID: $0[1], set: $0[2], entries: $0[3]) }
        }
    }

    /// What `directory` (empty for the top) held in backup `sequence` of `set`: entries sorted by
    /// name after `after`, at most `limit`.
    func children(set: String, sequence: Int64, directory: String, after: String?, limit: Int) throws -> [IndexedEntry]? {
        try pool.read { db in
            guard let setID = try Self.setID(set, in: db, create: false) else { return nil }
            guard let parent = try Self.resolve(directory, setID: setID, in: db) else { return nil }
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT p.name, v.kind, v.size, v.sha256, v.mtime, v.mode, v.target
                    FROM paths p JOIN versions v ON v.path_id = p.id
                      AND v.seq = (SELECT MAX(seq) FROM versions WHERE path_id = p.id AND seq <= ?)
                    WHERE p.set_id = ? AND p.parent = ? AND p.name > ? AND v.gone = 0
                    ORDER BY p.name LIMIT ?
                    """, arguments: [sequence, setID, parent, after ?? "", limit])
            return rows.map { row in
                let name: String = row[0]
                return Self.entry(row, from: 1, name: name, path: directory.isEmpty ? name : directory + "/" + name)
            }
        }
    }

    /// The versions of `path` in `set`, newest first: at most `limit`, older than backup
    /// sequence `before` when given; and the sequence to ask `before` for the next page when
    /// there are more. Nil when the set never had the path.
    func history(set: String, path: String, before: Int64?, limit: Int) throws -> (versions: [PathVersion], next: Int64?)? {
        try pool.read { db in
            guard let setID = try Self.setID(set, in: db, create: false), let id = try Self.resolve(path, setID: setID, in: db), id != 0
            else {
                return nil
            }
            let name = path.split(separator: "/").last.map(String.init) ?? path
            // One row more than shown: the change of the oldest shown depends on the one before it.
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT v.seq, b.id, v.gone, v.kind, v.size, v.sha256, v.mtime, v.mode, v.target
                    FROM versions v LEFT JOIN backups b ON b.seq = v.seq WHERE v.path_id = ? AND v.seq < ? ORDER BY v.seq DESC LIMIT ?
                    """, arguments: [id, before ?? Int64.max, limit + 1])
            var versions: [PathVersion] = []
            for (index, row) in rows.prefix(limit).enumerated() {
                let gone: Bool = row[2]
                let older = index + 1 < rows.count ? rows[index + 1] : nil
                let change: PathVersion.Change =
                    gone ? .removed : (older.map { ($0[2] as Bool) } ?? true) ? .added : .modified
                versions.append(
                    PathVersion(
                        sequence: row[0], backupID: row[1] ?? "", change: change,
                        entry: gone ? nil : Self.entry(row, from: 3, name: name, path: path)))
            }
            return (versions, rows.count > limit ? versions.last?.sequence : nil)
        }
    }

    /// The paths that differ between backups `from` and `to` (sequences, `from` < `to`) of `set`,
    /// sorted by path; at most `limit`, from path rows after `after`. Returns the changes and the
    /// row to go on from when there are more.
    func changes(set: String, from: Int64, to: Int64, after: Int64, limit: Int) throws -> (changes: [PathChange], next: Int64?)? {
        try pool.read { db in
            guard let setID = try Self.setID(set, in: db, create: false) else { return nil }
            // By the backups' range, not by the set's paths: a set of a million files with a
            // thousand changes reads a thousand rows (the planner would walk the paths otherwise).
            let ids = try Int64.fetchAll(
                db,
                sql: """
                    SELECT DISTINCT v.path_id FROM versions v INDEXED BY versions_by_seq JOIN paths p ON p.id = v.path_id
                    WHERE v.seq > ? AND v.seq <= ? AND p.set_id = ? AND v.path_id > ? ORDER BY v.path_id LIMIT ?
                    """, arguments: [from, to, setID, after, limit + 1])
            let state = try db.cachedStatement(
                sql:
                    "SELECT gone, kind, size, sha256, mtime, mode, target FROM versions WHERE path_id = ? AND seq <= ? ORDER BY seq DESC LIMIT 1"
            )
            var names = PathNames(db: db)
            var changes: [PathChange] = []
            for id in ids.prefix(limit) {
                let path = try names.path(of: id)
                let name = path.split(separator: "/").last.map(String.init) ?? path
                func entry(at sequence: Int64) throws -> IndexedEntry? {
                    guard let row = try Row.fetchOne(state, arguments: [id, sequence]), !(row[0] as Bool) else { return nil }
                    return Self.entry(row, from: 1, name: name, path: path)
                }
                let before = try entry(at: from)
                let after = try entry(at: to)
                switch (before, after) {
                case (nil, let now?): changes.append(PathChange(path: path, kind: .added, before: nil, after: now))
                case (let was?, nil): changes.append(PathChange(path: path, kind: .removed, before: was, after: nil))
                case (let was?, let now?) where was.differs(from: now):
                    changes.append(PathChange(path: path, kind: .modified, before: was, after: now))
                default: break
                }
            }
            return (changes.sorted { $0.path < $1.path }, ids.count > limit ? ids[limit - 1] : nil)
        }
    }

    /// The backups of `set` in the index, oldest first.
    func backups(set: String) throws -> [IndexedBackup] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT b.seq, b.id, s.name, b.entries FROM backups b JOIN sets s ON s.id = b.set_id WHERE s.name = ? ORDER BY b.seq",
                arguments: [set]
            ).map { IndexedBackup(sequence: $0[0], backupID: $0[1], set: $0[2], entries: $0[3]) }
        }
    }

    /// The row id of `path` in the set (0 for the empty path, the top), walking down from the top.
    static func resolve(_ path: String, setID: Int64, in db: Database) throws -> Int64? {
        var id: Int64 = 0
        let find = try db.cachedStatement(sql: "SELECT id FROM paths WHERE set_id = ? AND parent = ? AND name = ?")
        for name in path.split(separator: "/", omittingEmptySubsequences: true) {
            guard let next = try Int64.fetchOne(find, arguments: [setID, id, String(name)]) else { return nil }
            id = next
        }
        return id
    }

    /// An entry from `row`'s columns kind, size, sha256, mtime, mode, target starting at `from`.
    static func entry(_ row: Row, from index: Int, name: String, path: String) -> IndexedEntry {
        IndexedEntry(
            name: name, path: path, kind: IndexedEntry.Kind(rawValue: row[index]) ?? .special,
            size: UInt64(max(0, row[index + 1] as Int64)),
            sha256: (row[index + 2] as Data?).map { $0.hexString }, mtime: row[index + 3], mode: row[index + 4],
            target: row[index + 5])
    }
}

/// Full paths of path rows, from their parents, remembered for the rows looked up.
struct PathNames {
    let db: Database
    var known: [Int64: String] = [0: ""]

    init(db: Database) { self.db = db }

    mutating func path(of id: Int64) throws -> String {
        if let path = known[id] { return path }
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT parent, name FROM paths WHERE id = ?"), arguments: [id]) else {
            return "?"
        }
        let parent = try path(of: row[0])
        let name: String = row[1]
        let path = parent.isEmpty ? name : parent + "/" + name
        known[id] = path
        return path
    }
}
