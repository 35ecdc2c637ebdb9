import PacaSystem

/// The file system half of zip-slip protection: the destination held open by a descriptor, and
/// every folder under it opened relative to that descriptor, never through a symbolic link and
/// never out of it (``Syscall/open(_:beneath:_:options:permissions:)``: `openat2` with
/// `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS`). What is written is then written by name into such an
/// open folder. A folder swapped for a symlink while a restore runs makes the entries under it
/// fail; nothing is written where the link leads. A symlink already in the destination is not
/// followed either: an entry under it is refused.
final class DestinationGuard: @unchecked Sendable {
    /// The destination's real path (symlinks resolved), for messages and results.
    let root: String
    /// The destination, held open for the whole extraction.
    private let descriptor: Int32

    init(destination: String) throws(ArchiveError) {
        do {
            if (try? Syscall.stat(destination)) == nil { try Self.makeDirectories(destination) }
            root = try Syscall.realpath(destination)
            descriptor = try Syscall.open(root, .readOnly, options: [.directory])
        } catch {
            throw ArchiveError(error)
        }
    }

    deinit { Syscall.close(descriptor) }

    /// The absolute path for a relative one, for messages.
    func absolute(_ relative: String) -> String { relative.isEmpty ? root : root + "/" + relative }

    /// The folder `relative` inside the destination, open (the caller closes it), made with its
    /// parents when missing (mode 0700 until the archive's mode is set at the end).
    func openDirectory(_ relative: String, entry: String) throws(ArchiveError) -> Int32 {
        do {
            return try Syscall.open(relative, beneath: descriptor, .readOnly, options: [.directory])
        } catch  where error.isNotFound && !relative.isEmpty {
            let (parent, name) = Self.split(relative)
            let folder = try openDirectory(parent, entry: entry)
            defer { Syscall.close(folder) }
            do { try Syscall.mkdir(name, in: folder, permissions: 0o700) } catch  where error.isAlreadyExisting {
                // Another thread made it; open what is there now.
            } catch {
                throw ArchiveError(error, entry: entry)
            }
            do { return try Syscall.open(name, beneath: folder, .readOnly, options: [.directory]) } catch {
                throw refusal(error, relative, entry: entry)
            }
        } catch {
            throw refusal(error, relative, entry: entry)
        }
    }

    /// Runs `body` with the folder that holds `relative`, open, and `relative`'s last name.
    func inFolder<T>(of relative: String, entry: String, _ body: (Int32, String) throws(ArchiveError) -> T) throws(ArchiveError) -> T {
        let (parent, name) = Self.split(relative)
        let folder = try openDirectory(parent, entry: entry)
        defer { Syscall.close(folder) }
        return try body(folder, name)
    }

    private func refusal(_ error: SystemError, _ relative: String, entry: String) -> ArchiveError {
        if error.isSymbolicLink || error.isCrossingOut { return unsafe(relative, entry: entry) }
        if error.isNotADirectory {
            // O_NOFOLLOW | O_DIRECTORY on a symlink says ENOTDIR too: look at what is there.
            var isLink = false
            if let folder = try? openDirectory(Self.split(relative).folder, entry: entry) {
                isLink = (try? Syscall.lstat(Self.split(relative).name, in: folder))?.kind == .symlink
                Syscall.close(folder)
            }
            return isLink
                ? unsafe(relative, entry: entry) : ArchiveError(.alreadyExists, "\(relative) exists and is not a directory", entry: entry)
        }
        return ArchiveError(error, entry: entry)
    }

    private func unsafe(_ relative: String, entry: String) -> ArchiveError {
        ArchiveError(.unsafePath, "refusing to extract: \(relative) is, or passes through, a symlink in the destination", entry: entry)
    }

    /// The folder part and the last name of a relative path (`""` for a name at the top).
    static func split(_ relative: String) -> (folder: String, name: String) {
        guard let slash = relative.lastIndex(of: "/") else { return ("", relative) }
        return (String(relative[..<slash]), String(relative[relative.index(after: slash)...]))
    }

    private static func makeDirectories(_ path: String) throws(SystemError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            do { try Syscall.mkdir(prefix, permissions: 0o755) } catch  where error.isAlreadyExisting {}
        }
    }
}
