import CPacaSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Every system call the archive module makes goes through here: `EINTR` is retried and a failure
/// becomes a ``SystemError`` naming the call and the path.
enum Syscall {
    @inline(__always)
    private static func retrying<T: BinaryInteger>(_ call: String, _ path: String?, _ body: () -> T) throws(SystemError) -> T {
        while true {
            let result = body()
            if result >= 0 { return result }
            let code = Glibc.errno
            if code == EINTR { continue }
            throw SystemError(call: call, path: path, errno: code)
        }
    }

    static func open(_ path: String, _ flags: Int32, _ mode: mode_t = 0) throws(SystemError) -> Int32 {
        try retrying("open", path) { Glibc.open(path, flags | O_CLOEXEC, mode) }
    }

    static func close(_ fd: Int32) {
        _ = Glibc.close(fd)  // Linux closes the descriptor even when close reports EINTR: never retry.
    }

    /// Reads up to `buffer.count` bytes; returns 0 at end of file.
    static func read(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, path: String) throws(SystemError) -> Int {
        try retrying("read", path) { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    static func pread(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, offset: Int64, path: String) throws(SystemError) -> Int {
        try retrying("pread", path) { Glibc.pread(fd, buffer.baseAddress, buffer.count, off_t(offset)) }
    }

    /// Reads exactly `buffer.count` bytes at `offset`, or returns how many were there before end of file.
    static func preadFully(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, offset: Int64, path: String) throws(SystemError) -> Int {
        var done = 0
        while done < buffer.count {
            let n = try pread(fd, UnsafeMutableRawBufferPointer(rebasing: buffer[done...]), offset: offset + Int64(done), path: path)
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Writes all of `buffer`, looping over short writes.
    static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, path: String) throws(SystemError) {
        var done = 0
        while done < buffer.count {
            let n = try retrying("write", path) { Glibc.write(fd, buffer.baseAddress! + done, buffer.count - done) }
            done += n
        }
    }

    /// Writes all of `buffer` at `offset`, looping over short writes.
    static func pwriteAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, offset: Int64, path: String) throws(SystemError) {
        var done = 0
        while done < buffer.count {
            let n = try retrying("pwrite", path) {
                Glibc.pwrite(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + Int64(done)))
            }
            done += n
        }
    }

    static func fsync(_ fd: Int32, path: String) throws(SystemError) {
        _ = try retrying("fsync", path) { Glibc.fsync(fd) }
    }

    /// Flushes a directory's entries (after a rename or unlink inside it) to stable storage.
    static func fsyncDirectory(_ path: String) throws(SystemError) {
        let fd = try open(path, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        try fsync(fd, path: path)
    }

    static func fstat(_ fd: Int32, path: String) throws(SystemError) -> stat {
        var info = stat()
        _ = try retrying("fstat", path) { Glibc.fstat(fd, &info) }
        return info
    }

    static func lstat(_ path: String) throws(SystemError) -> stat {
        var info = stat()
        _ = try retrying("lstat", path) { Glibc.lstat(path, &info) }
        return info
    }

    static func statFollowingLinks(_ path: String) throws(SystemError) -> stat {
        var info = Glibc.stat()
        _ = try retrying("stat", path) { Glibc.fstatat(AT_FDCWD, path, &info, 0) }
        return info
    }

    static func readlink(_ path: String) throws(SystemError) -> [UInt8] {
        var size = 256
        while true {
            var buffer = [UInt8](repeating: 0, count: size)
            let n = try retrying("readlink", path) {
                buffer.withUnsafeMutableBytes { Glibc.readlink(path, $0.baseAddress!.assumingMemoryBound(to: CChar.self), size) }
            }
            if n < size { return Array(buffer[..<n]) }
            size *= 4
        }
    }

    static func rename(_ from: String, _ to: String) throws(SystemError) {
        _ = try retrying("rename", to) { Glibc.rename(from, to) }
    }

    /// Renames without replacing an existing `to` (fails with `EEXIST` instead).
    static func renameNoReplace(_ from: String, _ to: String) throws(SystemError) {
        _ = try retrying("rename", to) { paca_rename_noreplace(from, to) }
    }

    static func unlink(_ path: String) throws(SystemError) {
        _ = try retrying("unlink", path) { Glibc.unlink(path) }
    }

    static func mkdir(_ path: String, _ mode: mode_t) throws(SystemError) {
        _ = try retrying("mkdir", path) { Glibc.mkdir(path, mode) }
    }

    static func symlink(target: [UInt8], at path: String) throws(SystemError) {
        let targetString = String(decoding: target, as: UTF8.self)
        _ = try retrying("symlink", path) { Glibc.symlink(targetString, path) }
    }

    static func fchmod(_ fd: Int32, _ mode: mode_t, path: String) throws(SystemError) {
        _ = try retrying("chmod", path) { Glibc.fchmod(fd, mode) }
    }

    static func chmod(_ path: String, _ mode: mode_t) throws(SystemError) {
        _ = try retrying("chmod", path) { Glibc.chmod(path, mode) }
    }

    static func lchown(_ path: String, _ uid: uid_t, _ gid: gid_t) throws(SystemError) {
        _ = try retrying("chown", path) { Glibc.lchown(path, uid, gid) }
    }

    /// Sets access and modification time to `seconds`; `followSymlinks: false` sets a link's own times.
    static func setModificationTime(_ path: String, seconds: Int64, followSymlinks: Bool) throws(SystemError) {
        var times = [timespec(tv_sec: Int(seconds), tv_nsec: 0), timespec(tv_sec: Int(seconds), tv_nsec: 0)]
        let flags = followSymlinks ? 0 : AT_SYMLINK_NOFOLLOW
        _ = try retrying("utimensat", path) { Glibc.utimensat(AT_FDCWD, path, &times, flags) }
    }

    static func setModificationTime(_ fd: Int32, seconds: Int64, path: String) throws(SystemError) {
        var times = [timespec(tv_sec: Int(seconds), tv_nsec: 0), timespec(tv_sec: Int(seconds), tv_nsec: 0)]
        _ = try retrying("futimens", path) { Glibc.futimens(fd, &times) }
    }

    static func realpath(_ path: String) throws(SystemError) -> String {
        guard let resolved = Glibc.realpath(path, nil) else {
            throw SystemError(call: "realpath", path: path, errno: Glibc.errno)
        }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func posixFadviseSequential(_ fd: Int32) {
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
    }

    static var processorCount: Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }
}
