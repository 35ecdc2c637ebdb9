import PacaCore
import PacaSystem

/// One filesystem object found under a source root, with the name it gets in the archive.
struct SourceItem {
    /// Absolute (or as given) path on disk.
    var sourcePath: String
    /// Path inside the archive: the root's name, then the path below the root.
    var archivePath: String
    var kind: ArchiveEntry.Kind
    var info: FileInfo
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
/// Memory grows with the depth of the tree and the size of the largest directory being listed,
/// never with the number of files. Excluded directories are not descended into. Symlinks are
/// yielded as links, never followed, except a root given as a symlink, which is followed (like
/// `find -H`). Sockets, fifos and devices are skipped with a warning.
struct SourceWalker {
    private let excludes: [PathPattern]
    private var stack: [Frame] = []
    private var roots: [(path: String, name: String)]
    /// The names the roots are stored under, in walk order.
    let rootNames: [String]
    private(set) var warnings: [SourceProblem] = []
    private(set) var errors: [SourceProblem] = []

    private struct Frame {
        var directory: String
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
                let sourcePath = frame.directory == "/" ? "/" + name : frame.directory + "/" + name
                let relativePath = frame.relativePrefix.isEmpty ? name : frame.relativePrefix + "/" + name
                if let item = visit(sourcePath, archivePath: frame.archivePrefix + "/" + name, relativePath: relativePath, follow: false) {
                    return item
                }
                continue
            }
            guard let root = roots.popLast() else { return nil }
            if let item = visit(root.path, archivePath: root.name, relativePath: "", follow: true) {
                return item
            }
        }
    }

    private mutating func visit(_ sourcePath: String, archivePath: String, relativePath: String, follow: Bool) -> SourceItem? {
        let info: FileInfo
        do {
            info = follow ? try Syscall.stat(sourcePath) : try Syscall.lstat(sourcePath)
        } catch {
            errors.append(SourceProblem(path: sourcePath, message: error.description))
            return nil
        }
        let kind: ArchiveEntry.Kind
        switch info.kind {
        case .regular: kind = .file
        case .directory: kind = .directory
        case .symlink: kind = .symlink
        case .socket: return skip(sourcePath, "socket")
        case .fifo: return skip(sourcePath, "fifo")
        case .characterDevice: return skip(sourcePath, "character device")
        case .blockDevice: return skip(sourcePath, "block device")
        case .unknown: return skip(sourcePath, "unknown file type")
        }
        if isExcluded(archivePath: archivePath, relativePath: relativePath, isDirectory: kind == .directory) {
            return nil
        }
        if kind == .directory {
            do {
                let names = try Self.list(sourcePath)
                stack.append(Frame(directory: sourcePath, archivePrefix: archivePath, relativePrefix: relativePath, names: names))
            } catch {
                errors.append(SourceProblem(path: sourcePath, message: error.description))
            }
        }
        return SourceItem(sourcePath: sourcePath, archivePath: archivePath, kind: kind, info: info)
    }

    private mutating func skip(_ path: String, _ what: String) -> SourceItem? {
        warnings.append(SourceProblem(path: path, message: "skipped: \(what)"))
        return nil
    }

    /// The names in a directory, sorted by their UTF-8 bytes so archives are reproducible.
    private static func list(_ path: String) throws(SystemError) -> [String] {
        var names = try Syscall.entries(of: path).map { NameBytes.string($0.name) }
        names.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        return names
    }
}
