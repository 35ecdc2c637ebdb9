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
    public var version: Int
    public var backupID: String
    public var setName: String?
    /// Creation time, RFC 3339 UTC.
    public var createdAt: String
    /// The backup this one is incremental to, if any.
    public var parent: String?
    public var entries: [Entry]
    public var entryCount: Int
    /// Total bytes of file contents.
    public var bytes: UInt64

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
        /// Present and true when a read error cut the file short; the archive holds what was read.
        public var partial: Bool?
    }

    enum CodingKeys: String, CodingKey {
        case format, version, parent, entries, bytes
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
