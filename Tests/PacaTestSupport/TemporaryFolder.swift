import Foundation

/// A fresh folder under the system's temporary directory for one test, removed (modes restored
/// first, so tests of unreadable files clean up too) when the value goes away.
public final class TemporaryFolder: Sendable {
    public let path: String

    public init(_ label: String = #function) {
        let safe = label.filter { $0.isLetter || $0.isNumber }.prefix(32)
        path = NSTemporaryDirectory() + "paca-\(safe)-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        let manager = FileManager.default
        chmod(path, 0o755)
        for item in manager.enumerator(atPath: path)?.allObjects as? [String] ?? [] {
            var info = stat()
            if lstat(path + "/" + item, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { chmod(path + "/" + item, 0o755) }
        }
        try? manager.removeItem(atPath: path)
    }

    /// The path of `name` inside the folder.
    public func sub(_ name: String) -> String { path + "/" + name }

    /// Writes `bytes` to `name` (folders made as needed), then sets `mode` and `mtime` when given.
    public func write(_ name: String, _ bytes: [UInt8], mode: Int? = nil, mtime: Int64? = nil) {
        let full = sub(name)
        try! FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        precondition(FileManager.default.createFile(atPath: full, contents: Data(bytes)), "cannot write \(full)")
        if let mode { chmod(full, mode_t(mode)) }
        if let mtime { Files.setTime(full, mtime) }
    }

    public func write(_ name: String, _ text: String, mode: Int? = nil, mtime: Int64? = nil) {
        write(name, Array(text.utf8), mode: mode, mtime: mtime)
    }

    /// The bytes of `name`, or nil.
    public func read(_ name: String) -> [UInt8]? {
        FileManager.default.contents(atPath: sub(name)).map { Array($0) }
    }

    /// Whether something is at `name`.
    public func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: sub(name)) }
}

/// File helpers tests share.
public enum Files {
    /// Sets access and modification time of `path` to `seconds`.
    public static func setTime(_ path: String, _ seconds: Int64, followSymlinks: Bool = true) {
        var times = [timespec(tv_sec: Int(seconds), tv_nsec: 0), timespec(tv_sec: Int(seconds), tv_nsec: 0)]
        utimensat(AT_FDCWD, path, &times, followSymlinks ? 0 : AT_SYMLINK_NOFOLLOW)
    }

    /// Names in folder `path` (empty when it is missing), sorted.
    public static func names(in path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }
}
