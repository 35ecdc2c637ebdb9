import PacaSystem

/// The socket file's life: its directory made, a stale file from a crashed daemon removed (but
/// never one a live daemon answers on), its mode and group set after bind, removed at exit.
enum SocketFile {
    struct Failure: Error, CustomStringConvertible {
        var description: String
        var underlying: SystemError?
    }

    /// Makes the directory and clears a stale socket; fails when another daemon listens there or
    /// the path is something other than a socket.
    static func prepare(_ path: String) throws(Failure) {
        guard path.utf8.count < 108 else {
            throw Failure(description: "socket path \(path) is \(path.utf8.count) bytes; Unix sockets allow at most 107")
        }
        do { try DurableFile.makeDirectories(PathText.directory(of: path)) } catch {
            throw Failure(description: "\(error)", underlying: error)
        }
        guard let info = try? Syscall.lstat(path) else { return }
        guard info.kind == .socket else {
            throw Failure(description: "\(path) exists and is not a socket; remove it or choose another `socket` path")
        }
        if UnixSocket.isAnswering(path) {
            throw Failure(description: "another pacad is already listening on \(path)")
        }
        try? Syscall.unlink(path)
    }

    /// Mode 0660 and, when configured, the socket group.
    static func restrict(_ path: String, groupID: UInt32?) throws(Failure) {
        do {
            if let groupID { try Syscall.chown(path, gid: groupID) }
            try Syscall.chmod(path, 0o660)
        } catch {
            throw Failure(description: "\(error)", underlying: error)
        }
    }

    /// Where to bind before the socket is renamed into place: beside it, so the rename is atomic;
    /// the path itself when the longer name would not fit a socket address.
    static func stagingPath(for path: String) -> String {
        let staging = path + ".\(ProcessFacts.pid).new"
        return staging.utf8.count < 108 ? staging : path
    }

    static func move(_ from: String, to path: String) throws(Failure) {
        guard from != path else { return }
        do { try Syscall.rename(from, to: path) } catch {
            try? Syscall.unlink(from)
            throw Failure(description: "\(error)", underlying: error)
        }
    }

    static func remove(_ path: String) {
        try? Syscall.unlink(path)
    }
}
