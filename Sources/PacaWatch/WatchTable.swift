import PacaSystem

/// The watches of one ``FileWatcher``: which folder each inotify watch stands for and which of
/// its entries matter. Lives on the watcher's thread only (it is handed there once).
struct WatchTable: @unchecked Sendable {
    struct Folder: Sendable {
        var path: String
        /// Everything in the folder matters (it is a watched directory or inside one).
        var whole: Bool
        /// Names in the folder that are watched roots.
        var names: Set<String>
    }

    static let mask: InotifyMask = [
        .closeWrite, .movedTo, .movedFrom, .create, .delete, .attributes, .excludeUnlinked, .onlyDirectory,
    ]

    let inotify: Inotify
    let ignoring: [String]
    let report: @Sendable (FileWatcher.Event) -> Void
    var folders: [Int32: Folder] = [:]
    var byPath: [String: Int32] = [:]
    var limitReported = false

    init(inotify: Inotify, ignoring: [String], report: @escaping @Sendable (FileWatcher.Event) -> Void) {
        self.inotify = inotify
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

    mutating func handle(_ event: InotifyEvent) {
        if event.mask.contains(.queueOverflow) {
            report(.overflow)
            return
        }
        guard let folder = folders[event.watch] else { return }
        if event.mask.contains(.ignored) {
            folders[event.watch] = nil
            if byPath[folder.path] == event.watch { byPath[folder.path] = nil }
            return
        }
        let name = String(decoding: event.name, as: UTF8.self)
        guard !name.isEmpty, folder.whole || folder.names.contains(name) else { return }
        let path = folder.path == "/" ? "/" + name : folder.path + "/" + name
        guard !isIgnored(path) else { return }
        let isDirectory = event.mask.contains(.isDirectory)
        if isDirectory {
            if event.mask.contains(.movedFrom) { forget(under: path) }
            if !event.mask.isDisjoint(with: [.create, .movedTo]) { watchTree(path) }
        }
        report(.changed(path: path, isDirectory: isDirectory))
    }

    /// Watches `path` and every folder under it, not following symbolic links.
    private mutating func watchTree(_ path: String) {
        var pending = [path]
        while let folder = pending.popLast() {
            guard !isIgnored(folder), watch(folder, whole: true, name: nil) else { continue }
            guard let entries = try? Syscall.entries(of: folder) else { continue }
            for entry in entries {
                let child =
                    folder == "/"
                    ? "/" + String(decoding: entry.name, as: UTF8.self) : folder + "/" + String(decoding: entry.name, as: UTF8.self)
                if entry.kind == .directory || (entry.kind == nil && Self.isDirectory(child, following: false)) {
                    pending.append(child)
                }
            }
        }
    }

    /// Adds (or widens) the watch on folder `path`; false when it cannot be watched.
    private mutating func watch(_ path: String, whole: Bool, name: String?) -> Bool {
        let watch: Int32
        do { watch = try inotify.addWatch(path, mask: Self.mask) } catch {
            if error.isOutOfSpace && !limitReported {
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
            inotify.removeWatch(watch)
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
        ((following ? try? Syscall.stat(path) : try? Syscall.lstat(path))?.kind) == .directory
    }
}
