#if canImport(Glibc)
    import Glibc
#endif

/// Whole-file reads, crash-safe replacement and folder helpers for the small files pacad keeps
/// (state, sidecars, credentials). A replacement goes to `<name>.tmp`, is fsynced, renamed over
/// the old file, and the folder is fsynced, so after a crash the file holds either the old or the
/// new contents, never a mix. Blocking: call from a ``BlockingPool`` or a thread of its own.
public enum DurableFile {
    /// The contents of `path`, or nil when it does not exist. More than `limit` bytes is an error.
    public static func read(_ path: some SystemPathConvertible, limit: Int = 64 << 20) throws(SystemError) -> [UInt8]? {
        let fd: Int32
        do { fd = try Syscall.open(path, .readOnly) } catch  where error.isNotFound { return nil }
        defer { Syscall.close(fd) }
        return try Syscall.readAll(fd, path: path, limit: limit)
    }

    /// Replaces `path` with `contents` atomically and durably; the file gets `permissions`.
    public static func replace(_ path: String, with contents: [UInt8], permissions: UInt32 = 0o600) throws(SystemError) {
        let temporary = path + ".tmp"
        let fd = try Syscall.open(temporary, .writeOnly, options: [.create, .truncate], permissions: permissions)
        do {
            try Syscall.writeAll(fd, contents, path: temporary)
            try Syscall.fsync(fd, path: temporary)
            Syscall.close(fd)
        } catch {
            Syscall.close(fd)
            try? Syscall.unlink(temporary)
            throw error
        }
        do { try Syscall.rename(temporary, to: path) } catch {
            try? Syscall.unlink(temporary)
            throw error
        }
        syncDirectory(of: path)
    }

    /// Creates `path` and its missing parents with `permissions`; fails when something other than
    /// a directory is there.
    public static func makeDirectories(_ path: String, permissions: UInt32 = 0o750) throws(SystemError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            do { try Syscall.mkdir(current, permissions: permissions) } catch  where error.isAlreadyExisting {}
        }
        guard try Syscall.stat(path).kind == .directory else { throw SystemError("mkdir", path: path, errno: EEXIST) }
    }

    /// Removes `path`; true when it existed.
    @discardableResult
    public static func remove(_ path: some SystemPathConvertible) throws(SystemError) -> Bool {
        do { try Syscall.unlink(path) } catch  where error.isNotFound { return false }
        return true
    }

    /// Removes `path` and, when it is a folder, everything in it (symbolic links are removed,
    /// never followed).
    public static func removeTree(_ path: String) throws(SystemError) {
        let info = try Syscall.lstat(path)
        if info.kind == .directory {
            for entry in try Syscall.entries(of: path) { try removeTree(path + "/" + NameBytes.string(entry.name)) }
            try Syscall.rmdir(path)
        } else {
            try Syscall.unlink(path)
        }
    }

    /// Renames `from` to `to` and syncs the folder, so the rename survives a crash.
    public static func rename(_ from: String, to: String) throws(SystemError) {
        try Syscall.rename(from, to: to)
        syncDirectory(of: to)
    }

    /// Names in directory `path` that are UTF-8 (without `.` and `..`); empty when it does not exist.
    public static func names(in path: String) -> [String] {
        ((try? Syscall.entries(of: path)) ?? []).compactMap(\.nameText)
    }

    /// Fsyncs the folder holding `path`, so a rename or unlink in it is durable. Best effort.
    public static func syncDirectory(of path: String) {
        try? Syscall.fsyncDirectory(PathText.directory(of: path))
    }
}
