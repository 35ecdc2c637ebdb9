#if canImport(Glibc)
    import Glibc
#endif

/// What kind of object a directory entry or an `lstat` names.
public enum FileKind: Sendable, Equatable {
    case regular, directory, symlink, fifo, socket, characterDevice, blockDevice, unknown

    init(mode: UInt32) {
        switch mode & UInt32(S_IFMT) {
        case UInt32(S_IFREG): self = .regular
        case UInt32(S_IFDIR): self = .directory
        case UInt32(S_IFLNK): self = .symlink
        case UInt32(S_IFIFO): self = .fifo
        case UInt32(S_IFSOCK): self = .socket
        case UInt32(S_IFCHR): self = .characterDevice
        case UInt32(S_IFBLK): self = .blockDevice
        default: self = .unknown
        }
    }
}

/// A point in time as the kernel keeps file times: seconds and nanoseconds since the epoch.
public struct FileTime: Sendable, Hashable, Comparable {
    public var seconds: Int64
    public var nanoseconds: Int64

    public init(seconds: Int64, nanoseconds: Int64 = 0) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    init(_ spec: timespec) { self.init(seconds: Int64(spec.tv_sec), nanoseconds: Int64(spec.tv_nsec)) }

    public static func < (a: FileTime, b: FileTime) -> Bool { (a.seconds, a.nanoseconds) < (b.seconds, b.nanoseconds) }

    /// Nanoseconds since the epoch (good until the year 2262).
    public var totalNanoseconds: Int64 { seconds &* 1_000_000_000 &+ nanoseconds }
}

/// The facts `stat(2)` gives about a file, in Swift types.
public struct FileInfo: Sendable, Equatable {
    public var kind: FileKind
    /// The permission bits, including set-uid, set-gid and sticky (`mode & 0o7777`).
    public var permissions: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var size: Int64
    public var modified: FileTime
    /// When the inode last changed (`st_ctim`): a metadata-only change moves it.
    public var changed: FileTime
    public var device: UInt64
    public var inode: UInt64
    public var linkCount: UInt64
    /// The device a character or block device node stands for (`st_rdev`); 0 for other kinds.
    public var rawDevice: UInt64
    /// 512-byte blocks the file takes on disk (`st_blocks`).
    public var blocks: Int64

    /// True for a regular file with holes: it takes less disk than its size (like `cp
    /// --sparse=auto`, which looks at the same numbers). A restore leaves its zero blocks as holes.
    public var isSparse: Bool { kind == .regular && size > 4096 && blocks * 512 < size }

    init(_ info: stat) {
        kind = FileKind(mode: UInt32(info.st_mode))
        permissions = UInt32(info.st_mode) & 0o7777
        uid = info.st_uid
        gid = info.st_gid
        size = Int64(info.st_size)
        modified = FileTime(info.st_mtim)
        changed = FileTime(info.st_ctim)
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        linkCount = UInt64(info.st_nlink)
        rawDevice = UInt64(info.st_rdev)
        blocks = Int64(info.st_blocks)
    }

    /// True for the same object on the same device (a hard link counts as the same).
    public func isSameFile(as other: FileInfo) -> Bool { device == other.device && inode == other.inode }
}

/// How ``Syscall/open(_:_:options:permissions:)`` opens a file. `O_CLOEXEC` is always added.
public enum FileAccess: Sendable {
    case readOnly, writeOnly, readWrite

    var flags: Int32 {
        switch self {
        case .readOnly: O_RDONLY
        case .writeOnly: O_WRONLY
        case .readWrite: O_RDWR
        }
    }
}

/// The `O_` flags besides the access mode.
public struct OpenOptions: OptionSet, Sendable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let create = OpenOptions(rawValue: O_CREAT)
    /// With ``create``: fail when the file exists.
    public static let exclusive = OpenOptions(rawValue: O_EXCL)
    public static let truncate = OpenOptions(rawValue: O_TRUNC)
    public static let append = OpenOptions(rawValue: O_APPEND)
    /// Fail unless the path is a directory.
    public static let directory = OpenOptions(rawValue: O_DIRECTORY)
    /// Fail when the last component is a symbolic link.
    public static let noFollow = OpenOptions(rawValue: O_NOFOLLOW)
    public static let nonBlocking = OpenOptions(rawValue: O_NONBLOCK)
}
