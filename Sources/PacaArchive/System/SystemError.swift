#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A failed system call: which call, on which path, and the `errno` it returned.
///
/// The message never includes file contents, only the call name, the path and the errno text.
public struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The name of the failing call, e.g. `open` or `rename`.
    public let call: String
    /// The path the call was about, when there is one.
    public let path: String?
    /// The raw `errno` value.
    public let errno: Int32

    public init(call: String, path: String?, errno: Int32) {
        self.call = call
        self.path = path
        self.errno = errno
    }

    /// The C library's description of ``errno``, e.g. "No such file or directory".
    public var reason: String { String(cString: strerror(errno)) }

    public var description: String {
        if let path { return "\(call) \(path): \(reason)" }
        return "\(call): \(reason)"
    }

    /// True for "no such file or directory".
    public var isNotFound: Bool { errno == ENOENT }
}
