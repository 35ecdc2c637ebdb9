import CPacaSystem

#if canImport(Glibc)
    import Glibc
#endif

/// A system call that failed: which operation, on which path, and the `errno` it returned.
///
/// Every module reaches the kernel through ``Syscall`` and gets failures as this one type, so an
/// error keeps its cause (``errno``, ``name``) wherever it travels; higher errors carry it as
/// their underlying error instead of flattening it to text. The message names the operation, the
/// path and the C library's text for the error, never file contents.
public struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The failing operation, e.g. `open`, `rename` or `inotify_add_watch`.
    public let operation: String
    /// The path the call was about, for people (non-UTF-8 bytes escaped), when there is one.
    public let path: String?
    /// The raw `errno` value.
    public let errno: Int32

    public init(_ operation: String, path: String?, errno: Int32) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    /// `path` is no longer what was looked at a moment before (another file, or another kind of
    /// file, was put in its place), so nothing of it is read.
    public static func replaced(_ path: String) -> SystemError {
        SystemError("open (it was replaced while it was being backed up)", path: path, errno: ESTALE)
    }

    /// `ENOTDIR`: a component of the path is not a folder.
    public var isNotDirectory: Bool { errno == ENOTDIR }

    /// True for `EAGAIN`: a receive timeout (``UnixSocket/setReceiveTimeout(_:)``) ran out.
    public var isTimeout: Bool { errno == EAGAIN || errno == EWOULDBLOCK }

    /// The errno's symbolic name, e.g. `ENOENT` (glibc's `strerrorname_np`), or `errno N`.
    public var name: String {
        guard let text = paca_errno_name(errno) else { return "errno \(errno)" }
        return String(cString: text)
    }

    /// The C library's description of ``errno``, e.g. "No such file or directory".
    public var reason: String { String(cString: strerror(errno)) }

    public var description: String {
        if let path { return "\(operation) \(path): \(reason)" }
        return "\(operation): \(reason)"
    }

    /// `ENOENT`: no such file or directory.
    public var isNotFound: Bool { errno == ENOENT }
    /// `EEXIST`: something is already there.
    public var isAlreadyExisting: Bool { errno == EEXIST }
    /// `EACCES` or `EPERM`.
    public var isPermissionDenied: Bool { errno == EACCES || errno == EPERM }
    /// `ENOSPC`: no space left (on a disk, or of a kernel table such as inotify watches).
    public var isOutOfSpace: Bool { errno == ENOSPC }
    /// `ENOTDIR`: a path component is not a directory.
    public var isNotADirectory: Bool { errno == ENOTDIR }
    /// A symbolic link where none may be followed (`O_NOFOLLOW`, `RESOLVE_NO_SYMLINKS`).
    public var isSymbolicLink: Bool { errno == ELOOP }
    /// A path that would leave the directory it is resolved under (`RESOLVE_BENEATH`).
    public var isCrossingOut: Bool { errno == EXDEV }
}
