#if canImport(Glibc)
    import Glibc
#endif

/// A connected Unix stream socket, blocking: the client end of pacad's control socket. Closed in
/// `deinit`. One thread uses it at a time.
public final class UnixSocket: @unchecked Sendable {
    private let descriptor: Int32
    public let path: String

    /// Connects to the socket at `path`.
    public init(connectingTo path: String) throws(SystemError) {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.utf8.count < capacity else { throw SystemError("connect", path: path, errno: ENAMETOOLONG) }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.enumerated() { buffer[index] = byte }
        }
        let fd = try Syscall.retrying("socket") { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            let code = Glibc.errno
            Glibc.close(fd)
            throw SystemError("connect", path: path, errno: code)
        }
        descriptor = fd
        self.path = path
    }

    deinit { Glibc.close(descriptor) }

    /// True when something accepts connections at `path` (a live daemon, not a stale socket file).
    public static func isAnswering(_ path: String) -> Bool {
        (try? UnixSocket(connectingTo: path)) != nil
    }

    /// Sends all of `bytes` (no SIGPIPE when the other end has gone: an `EPIPE` error instead).
    public func send(_ bytes: [UInt8]) throws(SystemError) {
        var offset = 0
        while offset < bytes.count {
            offset += try Syscall.retrying("send", path) {
                bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            }
        }
    }

    /// Receives up to `buffer.count` bytes; 0 means the other end closed the connection.
    public func receive(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int {
        try Syscall.retrying("recv", path) { recv(descriptor, buffer.baseAddress, buffer.count, 0) }
    }

    /// Makes ``receive(into:)`` fail with `EAGAIN` after `timeout` without data; nil waits forever.
    public func setReceiveTimeout(_ timeout: Duration?) {
        let (seconds, attoseconds) = (timeout ?? .zero).components
        var time = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
    }
}
