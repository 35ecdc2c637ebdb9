import CPacaSystem

#if canImport(Glibc)
    import Glibc
#endif

/// Calls on names inside a directory held open: the way a restore writes without a path ever
/// leading it out of its destination. A directory is opened under the destination's descriptor
/// with ``open(_:beneath:_:options:permissions:)`` (no symbolic link followed, no `..` leaving
/// it); everything else acts on one name in such a directory, never following a link at it.
extension Syscall {
    /// Opens the relative `path` under directory `root` without following any symbolic link and
    /// without leaving `root` (`openat2` with `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS`, or an
    /// `O_NOFOLLOW` walk before Linux 5.6). `""` opens `root` itself again. A symlink on the way
    /// fails with `ELOOP` (``SystemError/isSymbolicLink``).
    public static func open(
        _ path: String, beneath root: Int32, _ access: FileAccess, options: OpenOptions = [], permissions: UInt32 = 0
    ) throws(SystemError) -> Int32 {
        try path.withCPath { (cPath) throws(SystemError) in
            try retrying("open", path) { paca_open_beneath(root, cPath, access.flags | options.rawValue, Int32(permissions)) }
        }
    }

    /// The facts of `name` in `directory`, a symbolic link's own.
    public static func lstat(_ name: String, in directory: Int32) throws(SystemError) -> FileInfo {
        var info = Glibc.stat()
        _ = try name.withCPath { (cName) throws(SystemError) in
            try retrying("stat", name) { fstatat(directory, cName, &info, AT_SYMLINK_NOFOLLOW) }
        }
        return FileInfo(info)
    }

    /// Makes the special file `name` in `directory`: `type` is the `st_mode` file type bits
    /// (FIFO, socket, character or block device), `device` the device number of a device node.
    /// The permissions are set exactly (the umask does not apply).
    public static func mknod(_ name: String, in directory: Int32, type: UInt32, permissions: UInt32, device: UInt64) throws(SystemError) {
        _ = try name.withCPath { (cName) throws(SystemError) in
            try retrying("mknod", name) { mknodat(directory, cName, mode_t(type | permissions), dev_t(device)) }
        }
        _ = try name.withCPath { (cName) throws(SystemError) in
            try retrying("chmod", name) { fchmodat(directory, cName, mode_t(permissions), 0) }
        }
    }

    /// Makes the directory `name` in `directory`.
    public static func mkdir(_ name: String, in directory: Int32, permissions: UInt32) throws(SystemError) {
        _ = try name.withCPath { (cName) throws(SystemError) in
            try retrying("mkdir", name) { mkdirat(directory, cName, mode_t(permissions)) }
        }
    }

    /// Renames `from` to `to`, both in `directory`; without `replace`, fails with `EEXIST` when
    /// `to` exists.
    public static func rename(_ from: String, to: String, in directory: Int32, replace: Bool) throws(SystemError) {
        _ = try from.withCPath { (cFrom) throws(SystemError) in
            try to.withCPath { (cTo) throws(SystemError) in
                try retrying("rename", to) {
                    replace ? renameat(directory, cFrom, directory, cTo) : paca_renameat_noreplace(directory, cFrom, directory, cTo)
                }
            }
        }
    }

    /// Removes the name `name` (not a directory) from `directory`.
    public static func unlink(_ name: String, in directory: Int32) throws(SystemError) {
        _ = try name.withCPath { (cName) throws(SystemError) in try retrying("unlink", name) { unlinkat(directory, cName, 0) } }
    }

    /// Makes `name` in `directory` another name of `existing` in `existingDirectory` (a hard
    /// link; a symbolic link at `existing` is linked itself, not followed).
    public static func link(_ existing: String, in existingDirectory: Int32, as name: String, in directory: Int32) throws(SystemError) {
        _ = try existing.withCPath { (cExisting) throws(SystemError) in
            try name.withCPath { (cName) throws(SystemError) in
                try retrying("link", name) { linkat(existingDirectory, cExisting, directory, cName, 0) }
            }
        }
    }

    /// Creates the symbolic link `name` in `directory`, holding `target`'s bytes.
    public static func symlink(target: [UInt8], as name: String, in directory: Int32) throws(SystemError) {
        _ = try SystemPath(bytes: target).withCPath { (cTarget) throws(SystemError) in
            try name.withCPath { (cName) throws(SystemError) in try retrying("symlink", name) { symlinkat(cTarget, directory, cName) } }
        }
    }

    /// Changes the owner and group of `name` in `directory` itself (a link's own, not its target's).
    public static func lchown(_ name: String, in directory: Int32, uid: UInt32, gid: UInt32) throws(SystemError) {
        _ = try name.withCPath { (cName) throws(SystemError) in
            try retrying("chown", name) { fchownat(directory, cName, uid, gid, AT_SYMLINK_NOFOLLOW) }
        }
    }

    /// Sets the access and modification time of `name` in `directory` itself (a link's own).
    public static func setModificationTime(_ name: String, in directory: Int32, seconds: Int64) throws(SystemError) {
        let time = timespec(tv_sec: Int(seconds), tv_nsec: 0)
        var times = [time, time]
        _ = try name.withCPath { (cName) throws(SystemError) in
            try retrying("utimensat", name) { utimensat(directory, cName, &times, AT_SYMLINK_NOFOLLOW) }
        }
    }

    /// Opens `name` in `directory` to read it for a backup: never through a symbolic link, never
    /// waiting (`O_NONBLOCK`: a FIFO swapped in answers at once), without touching its access
    /// time where the kernel allows that. `path` names it in errors.
    public static func openForReading(_ name: String, in directory: Int32, path: String) throws(SystemError) -> Int32 {
        let flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC
        let noAccessTime = name.withCPath { openat(directory, $0, flags | paca_o_noatime()) }
        var fd = noAccessTime
        if fd < 0 {
            fd = try name.withCPath { (cName) throws(SystemError) in try retrying("open", path) { openat(directory, cName, flags) } }
        }
        adviseSequential(fd)
        return fd
    }

    /// The target of the symbolic link `name` in `directory`.
    public static func readlink(_ name: String, in directory: Int32, path: String) throws(SystemError) -> [UInt8] {
        var size = 256
        while true {
            var buffer = [UInt8](repeating: 0, count: size)
            let n = try name.withCPath { (cName) throws(SystemError) in
                try retrying("readlink", path) {
                    buffer.withUnsafeMutableBytes {
                        readlinkat(directory, cName, $0.baseAddress!.assumingMemoryBound(to: CChar.self), size)
                    }
                }
            }
            if n < size { return Array(buffer[..<n]) }
            size *= 4
        }
    }

    /// The entries of the open directory `fd` (without `.` and `..`); `path` names it in errors.
    public static func entries(ofDirectory fd: Int32, path: String) throws(SystemError) -> [DirectoryEntry] {
        // fdopendir takes the descriptor it is given: hand it a duplicate, read from the start.
        let copy = try retrying("dup", path) { fcntl(fd, F_DUPFD_CLOEXEC, 0) }
        guard let stream = fdopendir(copy) else {
            let code = Glibc.errno
            Glibc.close(copy)
            throw SystemError("opendir", path: path, errno: code)
        }
        defer { closedir(stream) }
        rewinddir(stream)
        return try readEntries(stream, path: path)
    }
}
