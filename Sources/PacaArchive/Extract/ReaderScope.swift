/// Whose rights a restore is limited to: a user and the groups it is in, as the daemon saw the
/// caller (SO_PEERCRED and the group database).
public struct ReadAccess: Sendable, Equatable {
    public var uid: UInt32
    /// The primary group and the supplementary ones.
    public var groups: Set<UInt32>

    public init(uid: UInt32, groups: some Sequence<UInt32>) {
        self.uid = uid
        self.groups = Set(groups)
    }

    /// Whether a file with `mode`, owned by `owner` and `group`, grants `bit` (4 read, 1 search)
    /// to this user, the way the kernel decides: the owner's bits for the owner, else the group's
    /// for a member, else the others'. An unknown owner or group matches nobody.
    public func grants(_ bit: UInt32, mode: UInt32, owner: UInt32?, group: UInt32?) -> Bool {
        if let owner, owner == uid { return mode >> 6 & bit != 0 }
        if let group, groups.contains(group) { return mode >> 3 & bit != 0 }
        return mode & bit != 0
    }
}

/// What a restore for a user who is not root may take out of an archive: the entries that user
/// could have read when they were backed up.
public struct ReaderLimit: Sendable, Equatable {
    public var access: ReadAccess
    /// Top-level names of the archive (a set's roots) inside folders the user cannot search:
    /// nothing under them is theirs to read, whatever the entries' own modes say.
    public var closedRoots: Set<String>

    public init(access: ReadAccess, closedRoots: Set<String> = []) {
        self.access = access
        self.closedRoots = closedRoots
    }
}

/// Decides, path by path, what a ``ReaderLimit`` lets out of one archive. An entry is the
/// user's when its top-level name is not a closed root, every folder above it in the archive
/// grants search, and it grants what reading it takes: read for a file, search for a folder,
/// nothing more for a symlink (reading one needs only its folder). The daemon serves bytes by
/// the same decision, so both sides agree on what a restore writes.
public struct ReaderScope: Sendable {
    struct Owner: Sendable {
        var mode: UInt32
        var uid: UInt32?
        var gid: UInt32?
    }

    public let limit: ReaderLimit
    private var folders: [String: Owner] = [:]
    private var cache: [String: Bool] = [:]

    /// The scope of `limit` over an archive whose `entries` (and, when it has one, `manifest`)
    /// give the folders' owners and modes; the manifest's say wins where both have a folder.
    public init(_ limit: ReaderLimit, entries: [ArchiveEntry], manifest: Manifest?) {
        self.limit = limit
        for entry in entries where entry.kind == .directory {
            folders[entry.path] = Owner(mode: entry.mode, uid: entry.uid, gid: entry.gid)
        }
        for line in manifest?.entries ?? [] where line.type == .directory {
            folders[line.path] = Owner(mode: line.permissions ?? 0, uid: line.uid, gid: line.gid)
        }
    }

    /// The scope of `limit` over an archive whose folders the manifest's `folders` lines describe
    /// (a streamed extraction, which keeps only those).
    init(_ limit: ReaderLimit, folders lines: [Manifest.Entry]) {
        self.limit = limit
        for line in lines where line.type == .directory {
            folders[line.path] = Owner(mode: line.permissions ?? 0, uid: line.uid, gid: line.gid)
        }
    }

    /// Whether the entry at `path`, of `kind`, with `mode`, `uid` and `gid`, is the user's.
    public mutating func permits(_ path: String, kind: ArchiveEntry.Kind, mode: UInt32, uid: UInt32?, gid: UInt32?) -> Bool {
        let top = path.firstIndex(of: "/").map { String(path[..<$0]) } ?? path
        if limit.closedRoots.contains(top) { return false }
        if let slash = path.lastIndex(of: "/"), !searchable(String(path[..<slash])) { return false }
        switch kind {
        case .file: return limit.access.grants(4, mode: mode, owner: uid, group: gid)
        case .directory: return limit.access.grants(1, mode: mode, owner: uid, group: gid)
        case .symlink, .fifo, .socket, .characterDevice, .blockDevice: return true
        }
    }

    /// Whether the entry is the user's.
    public mutating func permits(_ entry: ArchiveEntry) -> Bool {
        permits(entry.path, kind: entry.kind, mode: entry.mode, uid: entry.uid, gid: entry.gid)
    }

    /// Whether the manifest line is the user's.
    public mutating func permits(_ line: Manifest.Entry) -> Bool {
        permits(line.path, kind: line.type, mode: line.permissions ?? 0, uid: line.uid, gid: line.gid)
    }

    /// Whether the folder at `path` and every folder above it grant search.
    private mutating func searchable(_ path: String) -> Bool {
        if let known = cache[path] { return known }
        var result = true
        if let slash = path.lastIndex(of: "/") { result = searchable(String(path[..<slash])) }
        if result, let owner = folders[path] {
            result = limit.access.grants(1, mode: owner.mode, owner: owner.uid, group: owner.gid)
        }
        cache[path] = result
        return result
    }
}
