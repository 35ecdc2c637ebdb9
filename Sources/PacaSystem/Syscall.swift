import CPacaSystem

#if canImport(Glibc)
    import Glibc
#endif

/// Every system call pacad makes on files and descriptors goes through here (sockets, inotify and
/// the process in the `Syscall+` files beside it): `EINTR` is retried, and a failure becomes a
/// ``SystemError`` naming the operation and the path. Paths are `String`s or ``SystemPath``s
/// (bytes), so names that are not UTF-8 reach the kernel unchanged.
public enum Syscall {
    /// Runs `body` until it does not fail with `EINTR`; a negative result becomes a ``SystemError``.
    @inline(__always)
    static func retrying<T: BinaryInteger>(_ operation: String, _ path: (some SystemPathConvertible)?, _ body: () -> T) throws(SystemError)
        -> T
    {
        if let injected = FaultInjection.failure(operation, path) { throw SystemError(operation, path: path?.displayPath, errno: injected) }
        while true {
            let result = body()
            if result >= 0 { return result }
            let code = Glibc.errno
            if code == EINTR { continue }
            throw SystemError(operation, path: path?.displayPath, errno: code)
        }
    }

    @inline(__always)
    static func retrying<T: BinaryInteger>(_ operation: String, _ body: () -> T) throws(SystemError) -> T {
        try retrying(operation, String?.none, body)
    }

    /// Opens `path`; the descriptor is close-on-exec.
    public static func open(
        _ path: some SystemPathConvertible, _ access: FileAccess, options: OpenOptions = [], permissions: UInt32 = 0
    ) throws(SystemError) -> Int32 {
        try path.withCPath { (cPath) throws(SystemError) in
            try retrying("open", path) { Glibc.open(cPath, access.flags | options.rawValue | O_CLOEXEC, mode_t(permissions)) }
        }
    }

    /// Opens a file to read it for a backup: without touching its access time where the kernel
    /// allows that (`O_NOATIME` needs the file's owner or CAP_FOWNER), never through a final
    /// symbolic link, and with the kernel told it is read front to back.
    public static func openForReading(_ path: some SystemPathConvertible) throws(SystemError) -> Int32 {
        let noAccessTime = path.withCPath { cPath in Glibc.open(cPath, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | paca_o_noatime()) }
        var fd = noAccessTime
        if fd < 0 { fd = try open(path, .readOnly, options: .noFollow) }
        adviseSequential(fd)
        return fd
    }

    /// Where the next data of `fd` at or after `offset` starts (`lseek` with `SEEK_DATA`), moving
    /// the file offset there; nil when only a hole is left up to the end. Holes read as zeros.
    public static func nextData(_ fd: Int32, from offset: Int64, path: some SystemPathConvertible) throws(SystemError) -> Int64? {
        let found = lseek(fd, off_t(offset), paca_seek_data())
        if found >= 0 { return Int64(found) }
        if Glibc.errno == ENXIO { return nil }
        throw SystemError("lseek", path: path.displayPath, errno: Glibc.errno)
    }

    /// Tells the kernel `fd` is read front to back (more read-ahead). Advice: failures are ignored.
    public static func adviseSequential(_ fd: Int32) {
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
    }

    public static func close(_ fd: Int32) {
        _ = Glibc.close(fd)  // Linux closes the descriptor even when close reports EINTR: never retry.
    }

    /// Reads up to `buffer.count` bytes; returns 0 at end of file.
    public static func read(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, path: some SystemPathConvertible) throws(SystemError)
        -> Int
    {
        try retrying("read", path) { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// Reads until end of file (at most `limit` bytes; more is an `EFBIG` error).
    public static func readAll(_ fd: Int32, path: some SystemPathConvertible, limit: Int = Int.max) throws(SystemError) -> [UInt8] {
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = try chunk.withMutableBytes { (raw) throws(SystemError) -> Int in try read(fd, raw, path: path) }
            if n == 0 { return contents }
            guard contents.count + n <= limit else { throw SystemError("read", path: path.displayPath, errno: EFBIG) }
            contents += chunk[0..<n]
        }
    }

    /// Reads until `buffer` is full or the file ends; returns the count read.
    public static func readFully(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, path: some SystemPathConvertible)
        throws(SystemError) -> Int
    {
        var done = 0
        while done < buffer.count {
            let n = try read(fd, UnsafeMutableRawBufferPointer(rebasing: buffer[done...]), path: path)
            if n == 0 { break }
            done += n
        }
        return done
    }

    public static func pread(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, offset: Int64, path: some SystemPathConvertible)
        throws(SystemError) -> Int
    {
        try retrying("pread", path) { Glibc.pread(fd, buffer.baseAddress, buffer.count, off_t(offset)) }
    }

    /// Reads exactly `buffer.count` bytes at `offset`, or returns how many were there before end of file.
    public static func preadFully(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, offset: Int64, path: some SystemPathConvertible)
        throws(SystemError) -> Int
    {
        var done = 0
        while done < buffer.count {
            let n = try pread(fd, UnsafeMutableRawBufferPointer(rebasing: buffer[done...]), offset: offset + Int64(done), path: path)
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Writes all of `buffer`, looping over short writes.
    public static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, path: some SystemPathConvertible) throws(SystemError) {
        var done = 0
        while done < buffer.count {
            done += try retrying("write", path) { Glibc.write(fd, buffer.baseAddress! + done, buffer.count - done) }
        }
    }

    /// Writes all of `bytes`, looping over short writes.
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: some SystemPathConvertible) throws(SystemError) {
        try bytes.withBytes { (raw) throws(SystemError) in try writeAll(fd, raw, path: path) }
    }

    /// Writes all of `buffer` at `offset`, looping over short writes.
    public static func pwriteAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, offset: Int64, path: some SystemPathConvertible)
        throws(SystemError)
    {
        var done = 0
        while done < buffer.count {
            done += try retrying("pwrite", path) {
                Glibc.pwrite(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + Int64(done)))
            }
        }
    }

    public static func fsync(_ fd: Int32, path: some SystemPathConvertible) throws(SystemError) {
        _ = try retrying("fsync", path) { Glibc.fsync(fd) }
    }

    /// Flushes a file's data (not its times) to stable storage.
    public static func fdatasync(_ fd: Int32, path: some SystemPathConvertible) throws(SystemError) {
        _ = try retrying("fdatasync", path) { Glibc.fdatasync(fd) }
    }

    public static func ftruncate(_ fd: Int32, length: Int64, path: some SystemPathConvertible) throws(SystemError) {
        _ = try retrying("ftruncate", path) { Glibc.ftruncate(fd, off_t(length)) }
    }

    /// Starts writeback of a range now without waiting for it (`sync_file_range`), so a later
    /// fsync has little left to do. Advice: failures are ignored.
    public static func startWriteback(_ fd: Int32, offset: Int64, length: Int64) {
        _ = paca_start_writeback(fd, offset, length)
    }

    /// Flushes a directory's entries (after a rename or unlink inside it) to stable storage.
    public static func fsyncDirectory(_ path: some SystemPathConvertible) throws(SystemError) {
        let fd = try open(path, .readOnly, options: .directory)
        defer { close(fd) }
        try fsync(fd, path: path)
    }

    public static func fstat(_ fd: Int32, path: some SystemPathConvertible) throws(SystemError) -> FileInfo {
        var info = Glibc.stat()
        _ = try retrying("fstat", path) { () -> Int32 in Glibc.fstat(fd, &info) }
        return FileInfo(info)
    }

    /// The facts about `path` itself (a symbolic link is described, not followed).
    public static func lstat(_ path: some SystemPathConvertible) throws(SystemError) -> FileInfo {
        var info = Glibc.stat()
        _ = try path.withCPath { (cPath) throws(SystemError) in try retrying("lstat", path) { () -> Int32 in Glibc.lstat(cPath, &info) } }
        return FileInfo(info)
    }

    /// The facts about what `path` leads to, following symbolic links.
    public static func stat(_ path: some SystemPathConvertible) throws(SystemError) -> FileInfo {
        var info = Glibc.stat()
        _ = try path.withCPath { (cPath) throws(SystemError) in try retrying("stat", path) { statFollowing(cPath, &info) } }
        return FileInfo(info)
    }

    /// True when something (of any kind, a dangling symbolic link too) is at `path`.
    public static func exists(_ path: some SystemPathConvertible) -> Bool {
        (try? lstat(path)) != nil
    }

    /// Whether this process may write into `path` (`access(W_OK)`).
    public static func isWritable(_ path: some SystemPathConvertible) -> Bool {
        path.withCPath { Glibc.access($0, W_OK) } == 0
    }

    /// The bytes a symbolic link holds.
    public static func readlink(_ path: some SystemPathConvertible) throws(SystemError) -> [UInt8] {
        var size = 256
        while true {
            var buffer = [UInt8](repeating: 0, count: size)
            let n = try path.withCPath { (cPath) throws(SystemError) in
                try retrying("readlink", path) {
                    buffer.withUnsafeMutableBytes { Glibc.readlink(cPath, $0.baseAddress!.assumingMemoryBound(to: CChar.self), size) }
                }
            }
            if n < size { return Array(buffer[..<n]) }
            size *= 4
        }
    }

    /// `path` with every symbolic link and `..` resolved.
    public static func realpath(_ path: some SystemPathConvertible) throws(SystemError) -> String {
        let resolved = path.withCPath { Glibc.realpath($0, nil) }
        guard let resolved else { throw SystemError("realpath", path: path.displayPath, errno: Glibc.errno) }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Free bytes for unprivileged users on the file system holding `path` (`statvfs`).
    public static func availableBytes(_ path: some SystemPathConvertible) throws(SystemError) -> UInt64 {
        var info = statvfs()
        _ = try path.withCPath { (cPath) throws(SystemError) in try retrying("statvfs", path) { fileSystemStatus(cPath, &info) } }
        return UInt64(info.f_bavail) * UInt64(info.f_frsize)
    }
}

extension Array where Element == UInt8 {
    /// `withUnsafeBytes` keeping a typed error (the standard one `rethrows`, which erases it).
    public func withBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        var result: Result<R, E>?
        withUnsafeBytes { raw in result = Result { () throws(E) -> R in try body(raw) } }
        return try result!.get()
    }

    /// `withUnsafeMutableBytes` keeping a typed error.
    public mutating func withMutableBytes<R, E: Error>(_ body: (UnsafeMutableRawBufferPointer) throws(E) -> R) throws(E) -> R {
        var result: Result<R, E>?
        withUnsafeMutableBytes { raw in result = Result { () throws(E) -> R in try body(raw) } }
        return try result!.get()
    }
}

// At file scope, where `stat` and `statvfs` name the C functions rather than `Syscall`'s own.
private func statFollowing(_ path: UnsafePointer<CChar>, _ info: inout stat) -> Int32 { stat(path, &info) }
private func fileSystemStatus(_ path: UnsafePointer<CChar>, _ info: inout statvfs) -> Int32 { statvfs(path, &info) }

extension Syscall {
    /// Makes the file open as `destination` share the extents of `source` (a reflink: a copy that
    /// costs no data until either is written, and is unaffected by writes to the other). Throws
    /// `EOPNOTSUPP`, `EXDEV` or `EINVAL` where the file system or the mount cannot.
    public static func cloneFile(_ source: Int32, into destination: Int32, path: some SystemPathConvertible) throws(SystemError) {
        _ = try retrying("ioctl(FICLONE)", path) { paca_clone_file(destination, source) }
    }

    /// Copies `length` bytes from `source`'s offset to `destination`'s inside the kernel
    /// (`copy_file_range`), looping until done; throws when the source ends early.
    public static func copyFile(_ source: Int32, into destination: Int32, length: Int64, path: some SystemPathConvertible)
        throws(SystemError)
    {
        var left = length
        while left > 0 {
            let copied = try retrying("copy_file_range", path) { paca_copy_file_range(source, destination, min(left, 1 << 30)) }
            guard copied > 0 else { throw SystemError("copy_file_range", path: path.displayPath, errno: EIO) }
            left -= copied
        }
    }
}
