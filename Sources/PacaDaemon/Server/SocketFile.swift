#if canImport(Glibc)
    import Glibc
#endif

/// The socket file's life: its directory made, a stale file from a crashed daemon removed (but
/// never one a live daemon answers on), its mode and group set after bind, removed at exit.
/// The server's system calls live here.
enum SocketFile {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Makes the directory and clears a stale socket; fails when another daemon listens there or
    /// the path is something other than a socket.
    static func prepare(_ path: String) throws {
        guard path.utf8.count < 108 else {
            throw Failure(description: "socket path \(path) is \(path.utf8.count) bytes; Unix sockets allow at most 107")
        }
        try makeDirectories(parent(of: path))
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFSOCK else {
            throw Failure(description: "\(path) exists and is not a socket; remove it or choose another `socket` path")
        }
        if isAnswering(path) {
            throw Failure(description: "another pacad is already listening on \(path)")
        }
        unlink(path)
    }

    /// Mode 0660 and, when configured, the socket group.
    static func restrict(_ path: String, groupID: UInt32?) throws {
        if let groupID, chown(path, uid_t.max, groupID) != 0 {
            throw Failure(description: "chown \(path) to gid \(groupID): \(String(cString: strerror(errno)))")
        }
        guard chmod(path, 0o660) == 0 else { throw Failure(description: "chmod \(path): \(String(cString: strerror(errno)))") }
    }

    /// Where to bind before the socket is renamed into place: beside it, so the rename is atomic;
    /// the path itself when the longer name would not fit a socket address.
    static func stagingPath(for path: String) -> String {
        let staging = path + ".\(getpid()).new"
        return staging.utf8.count < 108 ? staging : path
    }

    static func move(_ from: String, to path: String) throws {
        guard from != path else { return }
        guard rename(from, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(from)
            throw Failure(description: "rename \(from) to \(path): \(reason)")
        }
    }

    static func remove(_ path: String) {
        unlink(path)
    }

    private static func isAnswering(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.enumerated() { buffer[index] = byte }
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        return result == 0
    }

    private static func makeDirectories(_ path: String) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o750) != 0 && errno != EEXIST {
                throw Failure(description: "mkdir \(current): \(String(cString: strerror(errno)))")
            }
        }
    }

    private static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
