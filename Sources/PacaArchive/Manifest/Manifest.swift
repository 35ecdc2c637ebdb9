#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The `.paca/manifest.json` stored as the last entry of every archive pacad writes.
///
/// It lists every entry with its size, mode, mtime and (for files) the SHA-256 of its contents,
/// so an archive can be checked end to end with nothing but itself. The writer streams it (see
/// ``ManifestWriter``); this type decodes it.
public struct Manifest: Sendable, Codable, Equatable {
    /// Where the manifest lives inside an archive.
    public static let entryPath = ".paca/manifest.json"
    public static let formatName = "paca.manifest"

    public var format: String
    /// 1: every file's bytes are in the archive. 2 (pacad 0.7): entries may name the backup whose
    /// archive holds their bytes (``Entry/holder``), times carry nanoseconds, and files carry the
    /// identity change detection compares (device, inode, ctime). 3 (pacad 0.8): files of more than
    /// one part list their parts' digests (``Entry/parts``), and a file changed in part is put
    /// together from ``Entry/segments``. A version 3 reader reads all three.
    public var version: Int
    public var backupID: String
    public var setName: String?
    /// Creation time, RFC 3339 UTC.
    public var createdAt: String
    /// The backup whose tree this one was compared with (its base), if any.
    public var parent: String?
    /// `full` (every file's bytes are in this archive) or `incremental`; nil in version 1 (full).
    public var kind: String?
    /// The other backups whose archives hold bytes this backup's files need, sorted.
    public var references: [String]?
    public var entries: [Entry]
    public var entryCount: Int
    /// Total bytes of file contents, held here or referenced.
    public var bytes: UInt64

    public static let currentVersion = 3

    /// A run of a file's bytes kept in one entry of some backup's archive: the file's next `size`
    /// bytes are that entry's bytes from `offset` on.
    public struct Segment: Sendable, Codable, Equatable, Hashable {
        /// The backup whose archive holds the entry; nil for this backup's own archive.
        public var holder: String?
        /// The entry's path in that archive: the file's own path, or a part entry under `.paca/parts/`.
        public var entry: String
        public var offset: UInt64
        public var size: UInt64

        public init(holder: String?, entry: String, offset: UInt64, size: UInt64) {
            self.holder = holder
            self.entry = entry
            self.offset = offset
            self.size = size
        }

        enum CodingKeys: String, CodingKey {
            case entry, size
            case holder = "in"
            case offset = "at"
        }
    }

    public struct Entry: Sendable, Codable, Equatable {
        public var path: String
        public var type: ArchiveEntry.Kind
        public var size: UInt64
        /// Permission bits as four octal digits, e.g. `0644`.
        public var mode: String
        /// Modification time in Unix seconds.
        public var mtime: Int64
        /// Hex SHA-256 of the contents (files only).
        public var sha256: String?
        /// The link target (symlinks only).
        public var target: String?
        /// The device number a character or block device stands for (`st_rdev`).
        public var rdev: UInt64?
        /// Present and true for a file with holes: a restore leaves its zero blocks as holes.
        public var sparse: Bool?
        /// Present and true when a read error cut the file short; the archive holds what was read.
        public var partial: Bool?
        /// Modification and inode-change times in nanoseconds since the epoch (version 2).
        public var mtimeNanoseconds: Int64?
        public var ctimeNanoseconds: Int64?
        public var uid: UInt32?
        public var gid: UInt32?
        /// The device and inode the file had when it was backed up (version 2, files).
        public var device: UInt64?
        public var inode: UInt64?
        /// The backup whose archive holds this file's bytes, when it is not this one (version 2).
        public var holder: String?
        /// For the second and later names of a hard-linked file: the path of its first name in
        /// this manifest, whose bytes it shares (version 2). The archive holds no entry for it.
        public var link: String?
        /// Hex SHA-256 of each ``PartLayout/size`` part of the file, in order (version 3; files
        /// of more than one part). What the next backup compares to store only the parts that changed.
        public var parts: [String]?
        /// Where the file's bytes are, in order, when no one entry holds them all: the parts that
        /// changed since the base are in part entries, the rest in entries of earlier archives
        /// (version 3). Nil when ``holder`` (or this archive) holds the file whole.
        public var segments: [Segment]?

        public init(path: String, type: ArchiveEntry.Kind, size: UInt64, mode: UInt32, mtime: Int64) {
            self.path = path
            self.type = type
            self.size = size
            self.mode = Self.octal(mode)
            self.mtime = mtime
        }

        /// The permission bits `mode` spells, or nil when it is not octal.
        public var permissions: UInt32? { UInt32(mode, radix: 8).map { $0 & 0o7777 } }

        /// True when this archive holds the entry's bytes (a file not held elsewhere and not a link).
        public var isHeldHere: Bool { holder == nil && link == nil && segments == nil }

        /// True for a part entry (a run of a changed file's bytes under `.paca/parts/`), which is
        /// not a file of the tree.
        public var isPart: Bool { PartLayout.isPartPath(path) }

        /// The other backups whose archives hold this entry's bytes.
        public var holders: [String] {
            if let segments { return Array(Set(segments.compactMap(\.holder))).sorted() }
            return holder.map { [$0] } ?? []
        }

        static func octal(_ mode: UInt32) -> String {
            let digits = String(mode & 0o7777, radix: 8)
            return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
        }

        enum CodingKeys: String, CodingKey {
            case path, type, size, mode, mtime, sha256, target, rdev, sparse, partial, uid, gid, link, parts, segments
            case mtimeNanoseconds = "mtime_ns"
            case ctimeNanoseconds = "ctime_ns"
            case device = "dev"
            case inode = "ino"
            case holder = "in"
        }
    }

    enum CodingKeys: String, CodingKey {
        case format, version, parent, kind, references, entries, bytes
        case backupID = "backup_id"
        case setName = "set"
        case createdAt = "created_at"
        case entryCount = "entry_count"
    }

    /// Decodes a manifest, naming what is wrong when it is not one.
    public static func decode(_ bytes: [UInt8]) throws(ArchiveError) -> Manifest {
        let manifest: Manifest
        do {
            manifest = try JSONDecoder().decode(Manifest.self, from: Data(bytes))
        } catch {
            throw ArchiveError(.corrupt, "the manifest is not valid: \(error)", entry: entryPath)
        }
        guard manifest.format == formatName else {
            throw ArchiveError(.corrupt, "the manifest's format is \"\(manifest.format)\", expected \"\(formatName)\"", entry: entryPath)
        }
        guard (1...currentVersion).contains(manifest.version) else {
            throw ArchiveError(
                .corrupt, "the manifest is version \(manifest.version); this pacad reads versions 1 to \(currentVersion)",
                entry: entryPath)
        }
        for entry in manifest.entries {
            if let segments = entry.segments {
                guard segments.reduce(0, { $0 &+ $1.size }) == entry.size else {
                    throw ArchiveError(.corrupt, "the manifest's segments of the file do not add up to its size", entry: entry.path)
                }
            }
            if let parts = entry.parts, parts.count != PartLayout.count(of: entry.size) {
                throw ArchiveError(
                    .corrupt, "the manifest lists \(parts.count) part digests for a file of \(entry.size) bytes", entry: entry.path)
            }
        }
        guard manifest.entries.count == manifest.entryCount else {
            throw ArchiveError(
                .corrupt, "the manifest lists \(manifest.entries.count) entries but says it has \(manifest.entryCount)", entry: entryPath)
        }
        return manifest
    }
}

/// Identifies the backup an archive holds; written at the top of its manifest.
public struct ManifestHeader: Sendable, Equatable {
    public var backupID: String
    public var setName: String?
    /// Creation time in Unix seconds.
    public var createdAt: Int64
    public var parent: String?

    public init(backupID: String, setName: String? = nil, createdAt: Int64, parent: String? = nil) {
        self.backupID = backupID
        self.setName = setName
        self.createdAt = createdAt
        self.parent = parent
    }
}

extension Manifest {
    /// The backups whose archives this one needs besides its own, from the entries (the
    /// `references` field says the same; this also serves a manifest that lacks it).
    public var referencedBackups: [String] {
        Array(Set(entries.flatMap(\.holders)).union(references ?? [])).sorted()
    }
}

/// How files are cut into parts: fixed runs of ``size`` bytes from the start, the last one
/// shorter. A backup compares a changed file's parts with the base's and stores only those that
/// differ, each run of changed parts as one entry named ``entryName(for:at:)``.
public enum PartLayout {
    /// 1 MiB: near restic's average chunk, and one SHA-256 (64 hex digits) per MiB in the manifest.
    public static let size: UInt64 = 1 << 20
    /// Where part entries live in an archive.
    public static let directory = ".paca/parts/"

    /// The number of parts of a file of `fileSize` bytes.
    public static func count(of fileSize: UInt64) -> Int { Int((fileSize + size - 1) / size) }

    /// The entry holding the run of `path`'s bytes that starts at `offset`.
    public static func entryName(for path: String, at offset: UInt64) -> String { directory + path + "@" + String(offset) }

    static func isPartPath(_ path: String) -> Bool { path.hasPrefix(directory) }
}
