import CPacaSystem
import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Watches files and directories with inotify on a thread of its own and reports every change.
///
/// * A watched **file** is watched through its folder, filtered by name, so editors that save by
///   writing a temporary file and renaming it over the original (vim, most IDEs) are seen, and a
///   file that is deleted and created again keeps being watched.
/// * A watched **directory** is watched with everything under it; folders created or moved in
///   later are added as they appear. Its folder is watched too, so a directory that is replaced
///   or created after the start is picked up.
/// * What counts as a change: a file closed after writing, created, deleted, renamed in or out,
///   or its mode/times changed. Plain writes to a file that stays open (a log being appended to)
///   are seen when it is closed.
/// * Paths under `ignoring` (pacad's own state and targets) never count, so a backup written
///   inside a watched folder cannot trigger the next one.
///
/// The kernel's limit on watches (`fs.inotify.max_user_watches`) and a queue overflow are
/// reported as ``Event/problem(_:)`` and ``Event/overflow``; the owner treats an overflow as
/// "everything may have changed".
public final class FileWatcher: Sendable {
    public enum Event: Sendable, Equatable {
        case changed(path: String, isDirectory: Bool)
        /// The kernel dropped events: treat every watched path as changed.
        case overflow
        /// A path that cannot be watched, or the watcher stopping on an error.
        case problem(String)
    }

    private let inotify: Int32
    private let wake: Int32
    private let stopped = Atomic<Bool>(false)

    /// Starts watching `roots` (absolute paths). Problems with single roots are reported through
    /// `report` and do not stop the others; only a watcher that cannot start at all throws.
    public init(roots: [String], ignoring: [String], report: @escaping @Sendable (Event) -> Void) throws(EngineError) {
        let inotify = inotify_init1(Int32(IN_CLOEXEC))
        guard inotify >= 0 else { throw EngineError(.storage, "cannot start watching files: inotify_init1: \(Self.errorText())") }
        let wake = paca_eventfd_cloexec()
        guard wake >= 0 else {
            close(inotify)
            throw EngineError(.storage, "cannot start watching files: eventfd: \(Self.errorText())")
        }
        self.inotify = inotify
        self.wake = wake
        var table = WatchTable(descriptor: inotify, ignoring: ignoring, report: report)
        for root in roots { table.addRoot(root) }
        let queue = DispatchQueue(label: "paca.file-watcher")
        queue.async { [table] in
            var table = table
            self.loop(&table, report: report)
        }
    }

    deinit {
        close(inotify)
        close(wake)
    }

    /// Ends the watching thread; no event is reported after it has seen this.
    public func stop() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        var one: UInt64 = 1
        _ = write(wake, &one, 8)
    }

    private func loop(_ table: inout WatchTable, report: @Sendable (Event) -> Void) {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while !stopped.load(ordering: .acquiring) {
            var descriptors = [pollfd(fd: inotify, events: Int16(POLLIN), revents: 0), pollfd(fd: wake, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&descriptors, 2, -1)
            if ready < 0 {
                if errno == EINTR { continue }
                report(.problem("watching files stopped: poll: \(Self.errorText())"))
                return
            }
            if descriptors[1].revents != 0 || stopped.load(ordering: .acquiring) { return }
            let count = buffer.withUnsafeMutableBytes { read(inotify, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                report(.problem("watching files stopped: read: \(Self.errorText())"))
                return
            }
            buffer.withUnsafeBytes { bytes in
                var offset = 0
                while offset + 16 <= count {
                    let descriptor = bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self)
                    let mask = bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
                    let length = Int(bytes.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                    let nameBytes = bytes[(offset + 16)..<min(offset + 16 + length, count)]
                    let name = String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self)
                    offset += 16 + length
                    if stopped.load(ordering: .acquiring) { return }
                    table.handle(descriptor: descriptor, mask: mask, name: name)
                }
            }
        }
    }

    static func errorText() -> String { String(cString: strerror(errno)) }
}

/// The watches of one ``FileWatcher``: which folder each inotify descriptor stands for and which of
/// its entries matter. Lives on the watcher's thread only.
struct WatchTable: Sendable {
    struct Folder: Sendable {
        var path: String
        /// Everything in the folder matters (it is a watched directory or inside one).
        var whole: Bool
        /// Names in the folder that are watched roots.
        var names: Set<String>
    }

    static let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB | IN_EXCL_UNLINK | IN_ONLYDIR)

    let descriptor: Int32
    let ignoring: [String]
    let report: @Sendable (FileWatcher.Event) -> Void
    var folders: [Int32: Folder] = [:]
    var byPath: [String: Int32] = [:]
    var limitReported = false

    init(descriptor: Int32, ignoring: [String], report: @escaping @Sendable (FileWatcher.Event) -> Void) {
        self.descriptor = descriptor
        self.ignoring = ignoring
        self.report = report
    }

    mutating func addRoot(_ root: String) {
        let (parent, name) = Self.split(root)
        if let parent {
            guard watch(parent, whole: false, name: name) else {
                report(.problem("cannot watch \(root): its folder \(parent) does not exist or cannot be read"))
                return
            }
        }
        if Self.isDirectory(root) { watchTree(root) }
    }

    mutating func handle(descriptor watch: Int32, mask: UInt32, name: String) {
        if mask & UInt32(IN_Q_OVERFLOW) != 0 {
            report(.overflow)
            return
        }
        guard let folder = folders[watch] else { return }
        if mask & UInt32(IN_IGNORED) != 0 {
            folders[watch] = nil
            if byPath[folder.path] == watch { byPath[folder.path] = nil }
            return
        }
        guard !name.isEmpty, folder.whole || folder.names.contains(name) else { return }
        let path = folder.path == "/" ? "/" + name : folder.path + "/" + name
        guard !isIgnored(path) else { return }
        let isDirectory = mask & UInt32(IN_ISDIR) != 0
        if isDirectory {
            if mask & UInt32(IN_MOVED_FROM) != 0 { forget(under: path) }
            if mask & UInt32(IN_CREATE | IN_MOVED_TO) != 0 { watchTree(path) }
        }
        report(.changed(path: path, isDirectory: isDirectory))
    }

    /// Watches `path` and every folder under it, not following symbolic links.
    private mutating func watchTree(_ path: String) {
        var pending = [path]
        while let folder = pending.popLast() {
            guard !isIgnored(folder), watch(folder, whole: true, name: nil) else { continue }
            guard let stream = opendir(folder) else { continue }
            defer { closedir(stream) }
            while let entry = readdir(stream) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                guard name != ".", name != ".." else { continue }
                let child = folder == "/" ? "/" + name : folder + "/" + name
                let type = entry.pointee.d_type
                if type == UInt8(DT_DIR) || (type == UInt8(DT_UNKNOWN) && Self.isDirectory(child, following: false)) {
                    pending.append(child)
                }
            }
        }
    }

    /// Adds (or widens) the watch on folder `path`; false when it cannot be watched.
    private mutating func watch(_ path: String, whole: Bool, name: String?) -> Bool {
        let watch = inotify_add_watch(descriptor, path, Self.mask)
        guard watch >= 0 else {
            if errno == ENOSPC && !limitReported {
                limitReported = true
                report(
                    .problem(
                        "the kernel's limit on watched folders is reached at \(path); folders past it are not watched "
                            + "(raise fs.inotify.max_user_watches)"))
            }
            return false
        }
        var folder = folders[watch] ?? Folder(path: path, whole: false, names: [])
        folder.whole = folder.whole || whole
        if let name { folder.names.insert(name) }
        folders[watch] = folder
        byPath[path] = watch
        return true
    }

    /// Drops the watches of a folder that moved away, and of everything under it.
    private mutating func forget(under path: String) {
        for (known, watch) in byPath where known == path || known.hasPrefix(path + "/") {
            // Roots' folders keep their names; only folders watched as part of a tree go.
            guard let folder = folders[watch], folder.names.isEmpty else { continue }
            inotify_rm_watch(descriptor, watch)
            folders[watch] = nil
            byPath[known] = nil
        }
    }

    private func isIgnored(_ path: String) -> Bool {
        ignoring.contains { path == $0 || path.hasPrefix($0 + "/") }
    }

    static func split(_ path: String) -> (parent: String?, name: String) {
        guard path != "/", let slash = path.lastIndex(of: "/") else { return (nil, path) }
        let parent = path[..<slash]
        return (parent.isEmpty ? "/" : String(parent), String(path[path.index(after: slash)...]))
    }

    static func isDirectory(_ path: String, following: Bool = true) -> Bool {
        var info = stat()
        let result = following ? stat(path, &info) : lstat(path, &info)
        return result == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }
}
