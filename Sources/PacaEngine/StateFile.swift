#if canImport(Glibc)
    import Glibc
#endif

/// Whole-file reads and crash-safe replacement of the small files in the state directory: the new
/// contents go to `<name>.tmp`, are fsynced, renamed over the old file, and the directory is
/// fsynced, so after a crash the file holds either the old or the new contents, never a mix.
/// Every system call of the engine lives here.
enum StateFile {
    /// The contents of `path`, or nil when it does not exist.
    static func read(_ path: String) throws(EngineError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw failure("open", path)
        }
        defer { close(fd) }
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw failure("read", path)
            }
            if n == 0 { return contents }
            contents.append(contentsOf: chunk[0..<n])
        }
    }

    /// Replaces `path` with `contents` atomically and durably; the file gets `mode`.
    static func replace(_ path: String, with contents: [UInt8], mode: mode_t = 0o600) throws(EngineError) {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw failure("open", temporary) }
        var written = 0
        while written < contents.count {
            let n = contents.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                let error = failure("write", temporary)
                close(fd)
                unlink(temporary)
                throw error
            }
            written += n
        }
        if fsync(fd) != 0 {
            let error = failure("fsync", temporary)
            close(fd)
            unlink(temporary)
            throw error
        }
        close(fd)
        guard Glibc.rename(temporary, path) == 0 else {
            let error = failure("rename", path)
            unlink(temporary)
            throw error
        }
        syncDirectory(of: path)
    }

    /// Creates `path` and its missing parents with `mode`.
    static func makeDirectories(_ path: String, mode: mode_t = 0o750) throws(EngineError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, mode) != 0 && errno != EEXIST { throw failure("mkdir", current) }
        }
        var info = stat()
        guard stat(path, &info) == 0 else { throw failure("stat", path) }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw EngineError(.storage, "\(path) exists and is not a directory") }
    }

    /// Removes `path`; true when it existed.
    @discardableResult
    static func remove(_ path: String) throws(EngineError) -> Bool {
        if unlink(path) == 0 { return true }
        if errno == ENOENT { return false }
        throw failure("unlink", path)
    }

    /// Renames `from` to `to` and syncs the folder, so the rename survives a crash.
    static func rename(_ from: String, to: String) throws(EngineError) {
        guard Glibc.rename(from, to) == 0 else { throw failure("rename", from) }
        let folder = from.lastIndex(of: "/").map { String(from[..<$0]) } ?? "."
        let fd = open(folder.isEmpty ? "/" : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }

    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// Names in directory `path` (without `.` and `..`); empty when it does not exist.
    static func names(in path: String) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    static func syncDirectory(of path: String) {
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let fd = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            _ = fsync(fd)
            close(fd)
        }
    }

    private static func failure(_ call: String, _ path: String) -> EngineError {
        let code = errno
        return EngineError(.storage, "\(call) \(path): \(String(cString: strerror(code)))")
    }
}
