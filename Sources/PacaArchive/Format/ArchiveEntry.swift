/// One entry of an archive as its central directory describes it.
public struct ArchiveEntry: Sendable, Equatable {
    /// What the entry restores to.
    public enum Kind: String, Sendable, Codable {
        case file
        case directory
        case symlink
        /// Special files: recorded (type, mode, device number) with no data, never opened when
        /// backing up, made again by a restore (devices and sockets by root only).
        case fifo
        case socket
        case characterDevice = "char_device"
        case blockDevice = "block_device"

        /// True for a FIFO, socket or device node.
        public var isSpecial: Bool {
            switch self {
            case .fifo, .socket, .characterDevice, .blockDevice: true
            case .file, .directory, .symlink: false
            }
        }

        /// The file type bits of `st_mode` for this kind.
        public var unixFileType: UInt32 {
            switch self {
            case .file: 0o100000
            case .directory: 0o040000
            case .symlink: 0o120000
            case .fifo: 0o010000
            case .socket: 0o140000
            case .characterDevice: 0o020000
            case .blockDevice: 0o060000
            }
        }
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
