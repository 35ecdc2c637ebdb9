import PacaSystem

/// The filesystem half of zip-slip protection: creates directories under the destination and
/// refuses any path whose existing components would lead outside it through a symlink.
///
/// A symlink already in the destination that resolves inside it is followed (a user's
/// `data -> ./big-disk/data` keeps working); one that leads outside is refused. Symlinks from the
/// archive are created only after every file is written, so no entry can be written through one.
/// Thread-safe: checked directories are remembered under a lock.
final class DestinationGuard: @unchecked Sendable {
    /// The destination's real path (symlinks resolved).
    let root: String
    private let lock = ConditionLock()
    private var checked: Set<String> = [""]

    init(destination: String) throws(ArchiveError) {
        do {
            if (try? Syscall.stat(destination)) == nil { try Self.makeDirectories(destination) }
            root = try Syscall.realpath(destination)
            guard try Syscall.stat(root).kind == .directory else {
                throw ArchiveError(.invalidArgument, "the destination \(destination) is not a directory")
            }
        } catch let error as SystemError {
            throw ArchiveError(error)
        } catch let error as ArchiveError {
            throw error
        } catch {
            throw ArchiveError(.io, "\(error)")
        }
    }

    /// The absolute path for a relative one, with no check.
    func absolute(_ relative: String) -> String { relative.isEmpty ? root : root + "/" + relative }

    /// Makes sure the directory `relative` exists as a real directory inside the destination,
    /// creating it and its parents as needed.
    func ensureDirectory(_ relative: String, entry: String) throws(ArchiveError) {
        if lock.withLock({ checked.contains(relative) }) { return }
        if let slash = relative.lastIndex(of: "/") {
            try ensureDirectory(String(relative[..<slash]), entry: entry)
        }
        let path = absolute(relative)
        let info: FileInfo
        do {
            info = try Syscall.lstat(path)
        } catch  where error.isNotFound {
            do { try Syscall.mkdir(path, permissions: 0o700) } catch  where error.isAlreadyExisting {
                // Another thread made it; check what is there now.
                return try ensureDirectory(relative, entry: entry)
            } catch {
                throw ArchiveError(error, entry: entry)
            }
            lock.withLock { _ = checked.insert(relative) }
            return
        } catch {
            throw ArchiveError(error, entry: entry)
        }
        switch info.kind {
        case .directory:
            break
        case .symlink:
            let resolved: String
            do { resolved = try Syscall.realpath(path) } catch {
                throw ArchiveError(.unsafePath, "refusing to extract: \(path) is a symlink that cannot be resolved", entry: entry)
            }
            guard resolved == root || resolved.hasPrefix(root + "/") else {
                throw ArchiveError(
                    .unsafePath, "refusing to extract: \(relative) is a symlink to \(resolved), outside the destination", entry: entry)
            }
            guard let target = try? Syscall.stat(resolved), target.kind == .directory else {
                throw ArchiveError(.alreadyExists, "\(relative) is a symlink to something that is not a directory", entry: entry)
            }
        default:
            throw ArchiveError(.alreadyExists, "\(relative) exists and is not a directory", entry: entry)
        }
        lock.withLock { _ = checked.insert(relative) }
    }

    private static func makeDirectories(_ path: String) throws(SystemError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            do { try Syscall.mkdir(prefix, permissions: 0o755) } catch  where error.isAlreadyExisting {}
        }
    }
}
