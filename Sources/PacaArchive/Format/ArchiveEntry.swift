/// One entry of an archive as its central directory describes it.
public struct ArchiveEntry: Sendable, Equatable {
    /// What the entry restores to.
    public enum Kind: String, Sendable, Codable {
        case file
        case directory
        case symlink
    }

    /// The entry's relative path, `/`-separated, without the trailing `/` ZIP gives directories.
    public var path: String
    public var kind: Kind
    /// Permission bits (`0o7777` at most).
    public var mode: UInt32
    /// Modification time in seconds since the Unix epoch.
    public var modificationTime: Int64
    /// Owner and group from the Info-ZIP "ux" field, when the archive has them.
    public var uid: UInt32?
    public var gid: UInt32?
    public var method: CompressionMethod
    public var crc32: UInt32
    public var compressedSize: UInt64
    /// Size of the data once decompressed (for a symlink, the length of its target).
    public var size: UInt64
    /// Where the entry's local header starts in the archive.
    public var localHeaderOffset: UInt64
    /// The general purpose flags; bit 0 (encryption) makes the entry unreadable here.
    public var flags: UInt16

    /// The name as stored in the archive: directories end in `/`.
    var storedName: String { kind == .directory ? path + "/" : path }

    /// True when the entry is encrypted (not something pacad writes or can read).
    public var isEncrypted: Bool { flags & 1 != 0 }
}
