/// One path as a backup has it, from the file index.
public struct IndexedEntry: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        case file, directory, symlink, special
    }

    public var name: String
    /// The full path inside the archive (root name first).
    public var path: String
    public var kind: Kind
    public var size: UInt64
    /// Hex SHA-256 (files).
    public var sha256: String?
    public var mtime: Int64
    public var mode: String?
    /// Link target (symbolic links).
    public var target: String?

    public init(
        name: String, path: String, kind: Kind, size: UInt64, sha256: String?, mtime: Int64, mode: String? = nil, target: String? = nil
    ) {
        self.name = name
        self.path = path
        self.kind = kind
        self.size = size
        self.sha256 = sha256
        self.mtime = mtime
        self.mode = mode
        self.target = target
    }

    /// Whether `other` holds different contents: kind, size, digest or link target.
    func differs(from other: IndexedEntry) -> Bool {
        kind != other.kind || size != other.size || sha256 != other.sha256 || target != other.target
    }
}

/// A version of one path: the backup in which it first appeared with these contents, or in which
/// the path went away.
public struct PathVersion: Sendable, Equatable {
    public enum Change: String, Sendable, Equatable {
        case added, modified, removed
    }

    /// The backup's catalog sequence number.
    public var sequence: Int64
    public var backupID: String
    public var change: Change
    /// What the path held from that backup on (nil for ``Change/removed``).
    public var entry: IndexedEntry?
}

/// A path that differs between two backups of a set.
public struct PathChange: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        case added, removed, modified
    }

    public var path: String
    public var kind: Kind
    public var before: IndexedEntry?
    public var after: IndexedEntry?
}

/// A backup the index holds.
public struct IndexedBackup: Sendable, Equatable {
    public var sequence: Int64
    public var backupID: String
    public var set: String
    public var entries: Int
}

/// What an ingest did.
public struct IngestReport: Sendable, Equatable {
    public var backupID: String
    public var entries = 0
    public var added = 0
    public var modified = 0
    public var removed = 0
    public var seconds = 0.0
}

/// Why the file index could not do something.
public struct FileIndexError: Error, Sendable, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
