import PacaCore
import PacaSystem

/// A directory the walk holds open: the files in it are opened relative to it, so no path string
/// is resolved again after the walk looked (a folder swapped for a symlink to /etc mid-walk
/// cannot lead the backup there) and trees deeper than `PATH_MAX` work. Closed when the last item
/// that names a file in it is gone.
final class OpenDirectory: Sendable {
    let fd: Int32

    init(_ fd: Int32) { self.fd = fd }
    deinit { Syscall.close(fd) }
}

/// One filesystem object found under a source root, with the name it gets in the archive.
struct SourceItem {
    /// Where it is, for messages only (it may be longer than `PATH_MAX`; nothing opens it).
    var sourcePath: String
    /// Path inside the archive: the root's name, then the path below the root.
    var archivePath: String
    var kind: ArchiveEntry.Kind
    /// What `lstat` said of it when the walk met it.
    var info: FileInfo
    /// The directory it is in, held open, and its name there.
    var directory: OpenDirectory
    var name: String

    /// Opens the file to read it, relative to its directory, never through a symbolic link and
    /// never waiting (a FIFO swapped in cannot hang the backup); fails unless it is still the
    /// regular file the walk saw (same device and inode).
    func openForReading() throws(SystemError) -> Int32 {
        let fd = try Syscall.openForReading(name, in: directory.fd, path: sourcePath)
        do throws(SystemError) {
            let now = try Syscall.fstat(fd, path: sourcePath)
            guard now.kind == .regular, now.isSameFile(as: info) else { throw SystemError.replaced(sourcePath) }
        } catch {
            Syscall.close(fd)
            throw error
        }
        return fd
    }

    /// The target of the symbolic link, read relative to its directory.
    func readLink() throws(SystemError) -> [UInt8] {
        try Syscall.readlink(name, in: directory.fd, path: sourcePath)
    }
}

/// Something skipped or unreadable while walking, reported in the creation result.
public struct SourceProblem: Sendable, Equatable, Codable {
    /// The path on disk.
    public var path: String
    /// What happened, e.g. "skipped: socket" or "open: Permission denied".
    public var message: String
}

/// Walks source roots depth-first in name order, yielding entries one at a time.
///
/// Every directory is opened relative to its parent's descriptor with `O_NOFOLLOW`, and `fstat`
/// after the open must show the device and inode `lstat` saw: a component swapped for a symlink
/// or another folder during the walk is reported, never followed. Memory and descriptors grow
/// with the depth of the tree and the size of the largest directory being listed, never with
/// the number of files. Excluded directories are not descended into. Symlinks are yielded as
/// links, never followed, except a root given as a symlink, which is followed (like `find -H`).
/// FIFOs, sockets and devices are yielded to be recorded (type, mode, device number), never opened.
struct SourceWalker {
    private let excludes: [PathPattern]
    private var stack: [Frame] = []
    private var roots: [(path: String, name: String)]
    /// The names the roots are stored under, in walk order.
    let rootNames: [String]
    private(set) var warnings: [SourceProblem] = []
    private(set) var errors: [SourceProblem] = []

    private struct Frame {
        var directory: OpenDirectory
        var sourcePath: String
        var archivePrefix: String
        var relativePrefix: String
        var names: [String]
        var next = 0
    }

    /// Prepares a walk over `roots`, each stored under its last path component.
    ///
    /// Throws ``ArchiveError/Code/invalidArgument`` when the list is empty or two roots share a name,
    /// and ``ArchiveError/Code/notFound`` when a root does not exist.
    init(roots: [String], excludes: [PathPattern]) throws(ArchiveError) {
        guard !roots.isEmpty else { throw ArchiveError(.invalidArgument, "no source paths given") }
        var seen: [String: String] = [:]
        var named: [(String, String)] = []
        for root in roots {
            let resolved: String
            do {
                resolved = try Syscall.realpath(root)
            } catch {
                throw ArchiveError(.notFound, "source \(root) does not exist or cannot be reached (\(error.reason))", underlying: error)
            }
            let name = resolved == "/" ? "root" : String(resolved.split(separator: "/").last!)
            if let other = seen[name] {
                throw ArchiveError(
                    .invalidArgument,
                    "sources \(other) and \(root) would both be stored as \"\(name)/\"; give paths with different last components")
            }
            seen[name] = root
            named.append((resolved, name))
        }
        self.roots = named.reversed()
        rootNames = named.map(\.1)
        self.excludes = excludes
    }

    private func isExcluded(archivePath: String, relativePath: String, isDirectory: Bool) -> Bool {
        for pattern in excludes {
            if pattern.matches(path: archivePath, isDirectory: isDirectory) { return true }
            if pattern.isAnchored && !relativePath.isEmpty && pattern.matches(path: relativePath, isDirectory: isDirectory) {
                return true
            }
        }
        return false
    }

    /// The next item, or nil when every root has been walked.
    mutating func next() -> SourceItem? {
        while true {
            if var frame = stack.popLast() {
                guard frame.next < frame.names.count else { continue }
                let name = frame.names[frame.next]
                frame.next += 1
                stack.append(frame)
                let sourcePath = frame.sourcePath == "/" ? "/" + name : frame.sourcePath + "/" + name
                let relativePath = frame.relativePrefix.isEmpty ? name : frame.relativePrefix + "/" + name
                if let item = visit(
                    name, in: frame.directory, sourcePath: sourcePath, archivePath: frame.archivePrefix + "/" + name,
                    relativePath: relativePath)
                {
                    return item
                }
                continue
            }
            guard let root = roots.popLast() else { return nil }
            if let item = visitRoot(root.path, name: root.name) { return item }
        }
    }

    /// A root, already resolved: visited as the entry `name` of its parent directory, which the
    /// walk opens ("/" is its own parent).
    private mutating func visitRoot(_ path: String, name: String) -> SourceItem? {
        let parentPath = path == "/" ? "/" : PathText.directory(of: path)
        let ownName = path == "/" ? "." : PathText.baseName(path)
        let parent: OpenDirectory
        do {
            parent = OpenDirectory(try Syscall.open(parentPath, .readOnly, options: [.directory, .nonBlocking]))
        } catch {
            errors.append(SourceProblem(path: path, message: error.description))
            return nil
        }
        return visit(ownName, in: parent, sourcePath: path, archivePath: name, relativePath: "")
    }

    private mutating func visit(
        _ name: String, in directory: OpenDirectory, sourcePath: String, archivePath: String, relativePath: String
    ) -> SourceItem? {
        let info: FileInfo
        do {
            info = try Syscall.lstat(name, in: directory.fd)
        } catch {
            errors.append(SourceProblem(path: sourcePath, message: error.description))
            return nil
        }
        let kind: ArchiveEntry.Kind
        switch info.kind {
        case .regular: kind = .file
        case .directory: kind = .directory
        case .symlink: kind = .symlink
        case .socket: kind = .socket
        case .fifo: kind = .fifo
        case .characterDevice: kind = .characterDevice
        case .blockDevice: kind = .blockDevice
        case .unknown: return skip(sourcePath, "unknown file type")
        }
        if isExcluded(archivePath: archivePath, relativePath: relativePath, isDirectory: kind == .directory) {
            return nil
        }
        if kind == .directory {
            do throws(SystemError) {
                let opened = OpenDirectory(
                    try Syscall.open(name, beneath: directory.fd, .readOnly, options: [.directory, .noFollow, .nonBlocking]))
                let now = try Syscall.fstat(opened.fd, path: sourcePath)
                guard now.kind == .directory, now.isSameFile(as: info) else { throw SystemError.replaced(sourcePath) }
                let names = try Self.list(opened, path: sourcePath)
                stack.append(
                    Frame(directory: opened, sourcePath: sourcePath, archivePrefix: archivePath, relativePrefix: relativePath, names: names)
                )
            } catch {
                errors.append(SourceProblem(path: sourcePath, message: error.description))
            }
        }
        return SourceItem(sourcePath: sourcePath, archivePath: archivePath, kind: kind, info: info, directory: directory, name: name)
    }

    private mutating func skip(_ path: String, _ what: String) -> SourceItem? {
        warnings.append(SourceProblem(path: path, message: "skipped: \(what)"))
        return nil
    }

    /// The names in an open directory, sorted by their bytes so archives are reproducible.
    private static func list(_ directory: OpenDirectory, path: String) throws(SystemError) -> [String] {
        var names = try Syscall.entries(ofDirectory: directory.fd, path: path).map { NameBytes.string($0.name) }
        names.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        return names
    }
}
