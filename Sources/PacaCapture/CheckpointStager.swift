import PacaSystem

/// Why a checkpoint cannot be captured.
public struct CaptureError: Error, Sendable, CustomStringConvertible {
    public enum Code: Sendable { case notFound, validation, storage }
    public var code: Code
    public var message: String
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { message }
}

/// A checkpoint's stable copy under pacad's state folder, laid out as the set path holds it
/// (`<staging>/<set path's last component>/<path to the checkpoint>`), so that archiving
/// ``source`` stores it under the names a backup of the whole set would.
public struct StagedCheckpoint: Sendable {
    /// The folder to archive in place of the set path.
    public var source: String
    /// The capture's own folder (``remove()`` deletes it).
    public var directory: String
    public var files = 0
    public var bytes: UInt64 = 0
    public var reflinked = 0
    public var linked = 0
    public var copied = 0
    /// Hard-linked files, with their size and time once linked: a trainer that rewrites one in
    /// place changes the captured copy too, which ``rewritten()`` reports.
    var links: [(path: SystemPath, shown: String, size: Int64, modified: FileTime)] = []

    /// reflink, hardlink, copy, or mixed.
    public var method: String {
        let used = [(reflinked, "reflink"), (linked, "hardlink"), (copied, "copy")].filter { $0.0 > 0 }
        return used.count == 1 ? used[0].1 : used.isEmpty ? "none" : "mixed"
    }

    /// The hard-linked files whose size or time changed since the capture (named as the archive
    /// names them): what was backed up may mix two versions of them.
    public func rewritten() -> [String] {
        links.compactMap { link in
            guard let now = try? Syscall.lstat(link.path), now.size == link.size, now.modified == link.modified else { return link.shown }
            return nil
        }
    }

    /// Deletes the capture's folder; the checkpoint itself is untouched.
    public func remove() { try? DurableFile.removeTree(directory) }
}

/// Takes stable copies of checkpoints: each file reflinked where the file system can (a private
/// copy that costs no data), else hard-linked (safe from deletion, renames and rotation, which
/// is how trainers lose checkpoints), else copied; folders made again with their owner, mode and
/// time, so restores and the rights of restricted callers see what the trainer wrote.
public enum CheckpointStager {
    /// The most files one capture takes.
    public static let maxFiles = 100_000

    /// Where `path` lies: the set path (of `roots`) that holds it, and the names from there down.
    /// Refuses paths outside every root, with `.` or `..`, through a symbolic link below the
    /// root, and checkpoints still being written (`tmp-checkpoint-*`, `*.tmp`, `*.partial`).
    public static func locate(_ path: String, in roots: [String]) throws(CaptureError) -> (root: String, names: [String]) {
        guard path.hasPrefix("/") else { throw CaptureError(.validation, "the checkpoint path must be absolute: \(path)") }
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard !parts.contains(where: { $0 == "." || $0 == ".." }) else {
            throw CaptureError(.validation, "the checkpoint path must not hold . or ..: \(path)")
        }
        let normal = "/" + parts.joined(separator: "/")
        if roots.contains(where: { $0 == normal || $0 == normal + "/" }) {
            throw CaptureError(.validation, "\(path) is the set path itself; name the checkpoint inside it (or back the set up)")
        }
        guard let root = roots.filter({ normal.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }).max(by: { $0.count < $1.count }) else {
            throw CaptureError(
                .validation,
                "\(path) is not inside the set's paths (\(roots.joined(separator: ", "))): a checkpoint is captured into the set that holds it"
            )
        }
        let rootParts = root.split(separator: "/").count
        let names = Array(parts.dropFirst(rootParts))
        if let last = names.last, let why = unfinished(last) { throw CaptureError(.validation, "\(path) \(why)") }
        var current = root
        for (index, name) in names.enumerated() {
            current += "/" + name
            guard let info = try? Syscall.lstat(current) else {
                let parent = String(current.dropLast(name.count + 1))
                if index == names.count - 1, Syscall.exists(parent + "/tmp-" + name) {
                    throw CaptureError(
                        .validation,
                        "\(path) does not exist, but \(parent)/tmp-\(name) does: the trainer has not finished writing it (the final rename has not happened)"
                    )
                }
                throw CaptureError(.notFound, "\(current) does not exist")
            }
            if info.kind == .symlink {
                throw CaptureError(.validation, "\(current) is a symbolic link; name the checkpoint by its real path inside the set")
            }
            if index < names.count - 1, info.kind != .directory { throw CaptureError(.validation, "\(current) is not a folder") }
            if index == names.count - 1, info.kind != .directory, info.kind != .regular {
                throw CaptureError(.validation, "\(path) is neither a folder nor a regular file")
            }
        }
        return (root, names)
    }

    /// Why a file or folder named `name` is not a finished checkpoint, or nil.
    static func unfinished(_ name: String) -> String? {
        if name.hasPrefix("tmp-checkpoint") || name.hasPrefix("tmp-") {
            return "is a temporary folder (\(name)): the trainer is still writing it; capture the checkpoint once it is renamed"
        }
        for suffix in [".tmp", ".partial", ".incomplete"] where name.hasSuffix(suffix) {
            return "ends in \(suffix): it is still being written"
        }
        return nil
    }

    /// Captures the checkpoint `names` below `root` into a new folder `directory` (which must
    /// not exist; its parent must). With `copy`, files are reflinked or copied, never linked.
    public static func stage(root: String, names: [String], into directory: String, copy: Bool) throws(CaptureError) -> StagedCheckpoint {
        let rootName = String(root.split(separator: "/").last ?? "root")
        var staged = StagedCheckpoint(source: directory + "/" + rootName, directory: directory)
        do {
            try Syscall.mkdir(directory, permissions: 0o700)
        } catch {
            throw CaptureError(.storage, "cannot make the capture folder \(directory): \(error.reason)")
        }
        do {
            // The set path and the folders down to the checkpoint, with their owners and modes.
            var from = SystemPath(root)
            var to = SystemPath(staged.source)
            try makeFolder(to, like: from)
            for name in names.dropLast() {
                from = from.appending(Array(name.utf8))
                to = to.appending(Array(name.utf8))
                try makeFolder(to, like: from)
            }
            let last = Array(names[names.count - 1].utf8)
            let shown = ([rootName] + names).joined(separator: "/")
            try take(from.appending(last), to: to.appending(last), shown: shown, copy: copy, into: &staged, depth: 0)
            // Folder times last: adding entries changed them.
            try restoreTimes(root: SystemPath(root), names: names, staged: SystemPath(staged.source))
        } catch {
            staged.remove()
            throw error
        }
        return staged
    }

    private static func take(
        _ from: SystemPath, to: SystemPath, shown: String, copy: Bool, into staged: inout StagedCheckpoint, depth: Int
    ) throws(CaptureError) {
        guard depth < 64 else { throw CaptureError(.validation, "\(shown): folders nest deeper than 64 levels") }
        let info = try described(from, shown)
        switch info.kind {
        case .directory:
            try makeFolder(to, like: from)
            let entries: [DirectoryEntry]
            do { entries = try Syscall.entries(of: from) } catch { throw CaptureError(.storage, "cannot list \(shown): \(error.reason)") }
            for entry in entries {
                if let text = entry.nameText, let why = unfinished(text), depth == 0 || text.hasPrefix("tmp-") {
                    throw CaptureError(.validation, "\(shown)/\(text) \(why)")
                }
                try take(
                    from.appending(entry.name), to: to.appending(entry.name), shown: shown + "/" + SystemPath.display(entry.name),
                    copy: copy,
                    into: &staged, depth: depth + 1)
            }
            try? Syscall.setModificationTime(to, seconds: info.modified.seconds, followSymlinks: false)
        case .regular:
            staged.files += 1
            guard staged.files <= maxFiles else { throw CaptureError(.validation, "the checkpoint holds more than \(maxFiles) files") }
            staged.bytes += UInt64(max(0, info.size))
            try takeFile(from, to: to, info: info, shown: shown, copy: copy, into: &staged)
        case .symlink:
            do {
                let target = try Syscall.readlink(from)
                try Syscall.symlink(target: target, at: to)
                try? Syscall.lchown(to, uid: info.uid, gid: info.gid)
            } catch {
                throw CaptureError(.storage, "cannot capture the symbolic link \(shown): \(error.reason)")
            }
        default:
            throw CaptureError(.validation, "\(shown) is a FIFO, socket or device; a checkpoint holds files and folders")
        }
    }

    private static func takeFile(
        _ from: SystemPath, to: SystemPath, info: FileInfo, shown: String, copy: Bool, into staged: inout StagedCheckpoint
    ) throws(CaptureError) {
        let source: Int32
        do { source = try Syscall.open(from, .readOnly, options: .noFollow) } catch {
            throw CaptureError(.storage, "cannot open \(shown): \(error.reason)")
        }
        defer { Syscall.close(source) }
        if !copy {
            // A reflink first: as cheap as a link, and a true copy.
            if let cloned = try? clone(source, to: to, info: info), cloned {
                staged.reflinked += 1
                return
            }
            if (try? Syscall.link(from, at: to)) != nil, let linked = try? Syscall.lstat(to) {
                staged.linked += 1
                staged.links.append((to, shown, linked.size, linked.modified))
                return
            }
        } else if let cloned = try? clone(source, to: to, info: info), cloned {
            staged.reflinked += 1
            return
        }
        do {
            let destination = try Syscall.open(to, .writeOnly, options: [.create, .exclusive], permissions: 0o600)
            defer { Syscall.close(destination) }
            try Syscall.copyFile(source, into: destination, length: info.size, path: from)
            try finish(destination, like: info, path: to)
        } catch {
            throw CaptureError(.storage, "cannot copy \(shown): \(error.reason)")
        }
        let after = try described(from, shown)
        guard after.size == info.size, after.modified == info.modified else {
            throw CaptureError(.validation, "\(shown) changed while it was copied: the trainer is still writing it")
        }
        staged.copied += 1
    }

    /// Reflinks `source` to a new file `to`; false (and nothing left) where the file system cannot.
    private static func clone(_ source: Int32, to: SystemPath, info: FileInfo) throws(SystemError) -> Bool {
        let destination = try Syscall.open(to, .writeOnly, options: [.create, .exclusive], permissions: 0o600)
        defer { Syscall.close(destination) }
        do { try Syscall.cloneFile(source, into: destination, path: to) } catch {
            _ = try? Syscall.unlink(to)
            return false
        }
        try finish(destination, like: info, path: to)
        return true
    }

    private static func finish(_ fd: Int32, like info: FileInfo, path: SystemPath) throws(SystemError) {
        try? Syscall.fchown(fd, uid: info.uid, gid: info.gid, path: path)
        try Syscall.fchmod(fd, info.permissions, path: path)
        try Syscall.setModificationTime(fd, seconds: info.modified.seconds, nanoseconds: info.modified.nanoseconds, path: path)
    }

    private static func makeFolder(_ path: SystemPath, like original: SystemPath) throws(CaptureError) {
        let info = try described(original, original.description)
        do {
            try Syscall.mkdir(path, permissions: 0o700)
            try? Syscall.lchown(path, uid: info.uid, gid: info.gid)
            try Syscall.chmod(path, info.permissions)
        } catch {
            throw CaptureError(.storage, "cannot make \(path) in the capture folder: \(error.reason)")
        }
    }

    private static func restoreTimes(root: SystemPath, names: [String], staged: SystemPath) throws(CaptureError) {
        var from = root
        var to = staged
        var pairs = [(from, to)]
        for name in names.dropLast() {
            from = from.appending(Array(name.utf8))
            to = to.appending(Array(name.utf8))
            pairs.append((from, to))
        }
        for (original, copy) in pairs.reversed() {
            guard let info = try? Syscall.lstat(original) else { continue }
            try? Syscall.setModificationTime(copy, seconds: info.modified.seconds, followSymlinks: false)
        }
    }

    private static func described(_ path: SystemPath, _ shown: String) throws(CaptureError) -> FileInfo {
        do { return try Syscall.lstat(path) } catch {
            throw CaptureError(error.isNotFound ? .notFound : .storage, "cannot read \(shown): \(error.reason)")
        }
    }
}
