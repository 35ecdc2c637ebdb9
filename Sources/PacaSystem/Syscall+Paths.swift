import CPacaSystem

#if canImport(Glibc)
    import Glibc
#endif

/// One name in a directory, as `readdir` gives it: the name's bytes and, when the file system
/// tells it without a `stat`, its kind.
public struct DirectoryEntry: Sendable, Equatable {
    /// The name's bytes (any byte but `/` and NUL).
    public var name: [UInt8]
    /// Nil when the file system does not say (`DT_UNKNOWN`): `lstat` it.
    public var kind: FileKind?

    /// The name as text when it is UTF-8.
    public var nameText: String? { String(validating: name, as: UTF8.self) }
}

extension Syscall {
    public static func rename(_ from: some SystemPathConvertible, to: some SystemPathConvertible) throws(SystemError) {
        _ = try from.withCPath { (old) throws(SystemError) in
            try to.withCPath { (new) throws(SystemError) in try retrying("rename", to) { Glibc.rename(old, new) } }
        }
    }

    /// Renames without replacing an existing `to` (fails with `EEXIST` instead): `renameat2`
    /// with `RENAME_NOREPLACE`.
    public static func renameNoReplace(_ from: some SystemPathConvertible, to: some SystemPathConvertible) throws(SystemError) {
        _ = try from.withCPath { (old) throws(SystemError) in
            try to.withCPath { (new) throws(SystemError) in try retrying("rename", to) { paca_rename_noreplace(old, new) } }
        }
    }

    public static func unlink(_ path: some SystemPathConvertible) throws(SystemError) {
        _ = try path.withCPath { (cPath) throws(SystemError) in try retrying("unlink", path) { Glibc.unlink(cPath) } }
    }

    /// Removes an empty directory.
    public static func rmdir(_ path: some SystemPathConvertible) throws(SystemError) {
        _ = try path.withCPath { (cPath) throws(SystemError) in try retrying("rmdir", path) { Glibc.rmdir(cPath) } }
    }

    public static func mkdir(_ path: some SystemPathConvertible, permissions: UInt32) throws(SystemError) {
        _ = try path.withCPath { (cPath) throws(SystemError) in try retrying("mkdir", path) { Glibc.mkdir(cPath, mode_t(permissions)) } }
    }

    /// Makes `path` another name of the file at `existing` (a hard link; `path` must not exist).
    public static func link(_ existing: some SystemPathConvertible, at path: some SystemPathConvertible) throws(SystemError) {
        _ = try existing.withCPath { (cExisting) throws(SystemError) in
            try path.withCPath { (cPath) throws(SystemError) in try retrying("link", path) { Glibc.link(cExisting, cPath) } }
        }
    }

    /// Creates a symbolic link at `path` holding `target`'s bytes.
    public static func symlink(target: [UInt8], at path: some SystemPathConvertible) throws(SystemError) {
        _ = try SystemPath(bytes: target).withCPath { (cTarget) throws(SystemError) in
            try path.withCPath { (cPath) throws(SystemError) in try retrying("symlink", path) { Glibc.symlink(cTarget, cPath) } }
        }
    }

    public static func chmod(_ path: some SystemPathConvertible, _ permissions: UInt32) throws(SystemError) {
        _ = try path.withCPath { (cPath) throws(SystemError) in try retrying("chmod", path) { Glibc.chmod(cPath, mode_t(permissions)) } }
    }

    public static func fchmod(_ fd: Int32, _ permissions: UInt32, path: some SystemPathConvertible) throws(SystemError) {
        _ = try retrying("chmod", path) { Glibc.fchmod(fd, mode_t(permissions)) }
    }

    /// Changes the owner and group of an open file.
    public static func fchown(_ fd: Int32, uid: UInt32, gid: UInt32, path: some SystemPathConvertible) throws(SystemError) {
        _ = try retrying("chown", path) { Glibc.fchown(fd, uid, gid) }
    }

    /// Changes the owner and group of `path` itself (a symbolic link's own).
    public static func lchown(_ path: some SystemPathConvertible, uid: UInt32, gid: UInt32) throws(SystemError) {
        _ = try path.withCPath { (cPath) throws(SystemError) in try retrying("chown", path) { Glibc.lchown(cPath, uid, gid) } }
    }

    /// Changes the group of `path` (the owner stays).
    public static func chown(_ path: some SystemPathConvertible, gid: UInt32) throws(SystemError) {
        _ = try path.withCPath { (cPath) throws(SystemError) in try retrying("chown", path) { Glibc.chown(cPath, uid_t.max, gid) } }
    }

    /// Sets access and modification time to `seconds`; `followSymlinks: false` sets a link's own times.
    public static func setModificationTime(_ path: some SystemPathConvertible, seconds: Int64, followSymlinks: Bool) throws(SystemError) {
        var times = [timespec(tv_sec: Int(seconds), tv_nsec: 0), timespec(tv_sec: Int(seconds), tv_nsec: 0)]
        let flags = followSymlinks ? 0 : AT_SYMLINK_NOFOLLOW
        _ = try path.withCPath { (cPath) throws(SystemError) in
            try retrying("utimensat", path) { Glibc.utimensat(AT_FDCWD, cPath, &times, flags) }
        }
    }

    /// Sets an open file's access and modification time to `seconds` and `nanoseconds`.
    public static func setModificationTime(_ fd: Int32, seconds: Int64, nanoseconds: Int64 = 0, path: some SystemPathConvertible)
        throws(SystemError)
    {
        let time = timespec(tv_sec: Int(seconds), tv_nsec: Int(nanoseconds))
        var times = [time, time]
        _ = try retrying("futimens", path) { Glibc.futimens(fd, &times) }
    }

    /// A new file in `directory`, already unlinked (nothing is left behind, whatever happens),
    /// open for reading and writing.
    public static func openAnonymousFile(in directory: String) throws(SystemError) -> Int32 {
        var template = Array("\(directory)/.paca-spool-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { paca_mkostemp_cloexec($0.baseAddress!) }
        guard fd >= 0 else { throw SystemError("mkstemp", path: directory, errno: Glibc.errno) }
        template.withUnsafeBufferPointer { _ = Glibc.unlink($0.baseAddress!) }
        return fd
    }

    /// The entries of directory `path` (without `.` and `..`), in the order the file system keeps them.
    public static func entries(of path: some SystemPathConvertible) throws(SystemError) -> [DirectoryEntry] {
        let stream = path.withCPath { Glibc.opendir($0) }
        guard let stream else { throw SystemError("opendir", path: path.displayPath, errno: Glibc.errno) }
        defer { closedir(stream) }
        return try readEntries(stream, path: path.displayPath)
    }

    /// Every entry `stream` has left, without `.` and `..`.
    static func readEntries(_ stream: OpaquePointer, path: String) throws(SystemError) -> [DirectoryEntry] {
        var entries: [DirectoryEntry] = []
        while true {
            Glibc.errno = 0
            guard let entry = readdir(stream) else {
                let code = Glibc.errno
                if code != 0 { throw SystemError("readdir", path: path, errno: code) }
                return entries
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            entries.append(DirectoryEntry(name: name, kind: Self.kind(ofEntryType: entry.pointee.d_type)))
        }
    }

    private static func kind(ofEntryType type: UInt8) -> FileKind? {
        switch Int(type) {
        case Int(DT_REG): .regular
        case Int(DT_DIR): .directory
        case Int(DT_LNK): .symlink
        case Int(DT_FIFO): .fifo
        case Int(DT_SOCK): .socket
        case Int(DT_CHR): .characterDevice
        case Int(DT_BLK): .blockDevice
        default: nil
        }
    }
}
