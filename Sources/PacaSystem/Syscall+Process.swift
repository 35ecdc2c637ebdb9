#if canImport(Glibc)
    import Glibc
#endif

/// Facts about this process and its users: ids, environment, host name, working directory,
/// groups, and the standard streams.
public enum ProcessFacts {
    public static var pid: Int32 { getpid() }
    public static var uid: UInt32 { getuid() }
    public static var effectiveUID: UInt32 { geteuid() }

    /// The value of environment variable `name`, if set.
    public static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    /// This machine's host name, or `localhost` when it cannot be read.
    public static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The working directory, or `.` when it cannot be read.
    public static var currentDirectory: String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "." }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The id of group `name`, or nil when there is no such group.
    public static func groupID(named name: String) -> UInt32? {
        getgrnam(name).map { $0.pointee.gr_gid }
    }

    /// The uid of user `name`, or nil when there is no such user.
    public static func userID(named name: String) -> UInt32? {
        getpwnam(name).map { $0.pointee.pw_uid }
    }

    /// The name of user `uid`, or nil when it has none.
    public static func userName(of uid: UInt32) -> String? {
        getpwuid(uid).flatMap { $0.pointee.pw_name.map { String(cString: $0) } }
    }

    /// The program process `pid` runs (`/proc/<pid>/exe`), or nil when it is gone or hidden.
    public static func executable(of pid: Int32) -> String? {
        guard pid > 0, let bytes = try? Syscall.readlink("/proc/\(pid)/exe") else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The command name process `pid` gives itself (`/proc/<pid>/comm`, at most 15 bytes), or nil
    /// when it is gone. Anyone may read it, and the process may set it to anything: a claim, not
    /// a fact, unlike ``executable(of:)``.
    public static func commandName(of pid: Int32) -> String? {
        guard pid > 0, let bytes = try? DurableFile.read("/proc/\(pid)/comm", limit: 64) else { return nil }
        let name = bytes.last == 0x0A ? bytes.dropLast() : bytes[...]
        return String(decoding: name, as: UTF8.self)
    }

    /// The supplementary groups of process `pid`, from `/proc/<pid>/status`; empty when the
    /// process is gone or the file cannot be read.
    public static func supplementaryGroups(of pid: Int32) -> [UInt32] {
        guard let bytes = try? DurableFile.read("/proc/\(pid)/status", limit: 1 << 20) else { return [] }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where line.hasPrefix("Groups:") {
            return line.dropFirst(7).split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { UInt32($0) }
        }
        return []
    }
}

/// The standard streams, written and read without buffering.
public enum StandardStreams {
    /// True when descriptor `fd` (0, 1 or 2) is a terminal.
    public static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

    /// Writes `text` to standard error in one go where the kernel allows (lines stay whole).
    public static func writeError(_ text: String) {
        write(2, Array(text.utf8))
    }

    /// Writes `bytes` to descriptor `fd`, ignoring failures (nothing else can report them).
    public static func write(_ fd: Int32, _ bytes: [UInt8]) {
        try? Syscall.writeAll(fd, bytes, path: "standard stream \(fd)")
    }

    /// Everything on standard input up to its end.
    public static func readInput() throws(SystemError) -> [UInt8] {
        try Syscall.readAll(0, path: "standard input")
    }

    /// The (device, inode) of descriptor `fd`, as systemd's `JOURNAL_STREAM` names a stream.
    public static func identity(of fd: Int32) -> (device: UInt64, inode: UInt64)? {
        guard let info = try? Syscall.fstat(fd, path: "descriptor \(fd)") else { return nil }
        return (info.device, info.inode)
    }
}
