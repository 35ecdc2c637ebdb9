import PacaSystem

/// Writes single entries into the destination: files through a temporary name and a rename,
/// symlinks last, directory metadata after their contents.
struct EntryWriter: @unchecked Sendable {
    let guardian: DestinationGuard
    let options: ExtractionOptions

    private func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[..<slash])
    }

    /// Checks what is at `path` now: nothing, or something that may be replaced.
    private func checkTarget(_ path: String, entry: ArchiveEntry) throws(ArchiveError) {
        guard let existing = try? Syscall.lstat(path) else { return }
        if existing.kind == .directory {
            throw ArchiveError(.alreadyExists, "a directory is in the way at \(path)", entry: entry.path)
        }
        if !options.overwrite {
            throw ArchiveError(.alreadyExists, "\(path) already exists and overwriting was not asked for", entry: entry.path)
        }
    }

    func writeFile(_ entry: ArchiveEntry, from archive: ArchiveReader, streamer: EntryStreamer, progress: (Int) -> Void)
        throws(ArchiveError)
    {
        let directory = parent(of: entry.path)
        try guardian.ensureDirectory(directory, entry: entry.path)
        let final = guardian.absolute(entry.path)
        try checkTarget(final, entry: entry)
        let temporary = guardian.absolute(directory) + "/.paca-restore-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))"
        let fd: Int32
        do { fd = try Syscall.open(temporary, .writeOnly, options: [.create, .exclusive, .noFollow], permissions: 0o600) } catch {
            throw ArchiveError(error, entry: entry.path)
        }
        var isOpen = true
        var isPlaced = false
        defer {
            if isOpen { Syscall.close(fd) }
            if !isPlaced { try? Syscall.unlink(temporary) }
        }
        try streamer.stream(entry, from: archive) { (block) throws(ArchiveError) in
            try mappingSystemErrors(entry: entry.path) { () throws(SystemError) in try Syscall.writeAll(fd, block, path: temporary) }
            progress(block.count)
        }
        do {
            if options.restoresOwnership, let uid = entry.uid, let gid = entry.gid {
                try? Syscall.fchown(fd, uid: uid, gid: gid, path: temporary)  // best effort, like tar: a missing user is not a failure
            }
            try Syscall.fchmod(fd, UInt32(entry.mode), path: temporary)
            try Syscall.setModificationTime(fd, seconds: entry.modificationTime, path: temporary)
            isOpen = false
            Syscall.close(fd)
            if options.overwrite {
                try Syscall.rename(temporary, to: final)
            } else {
                try Syscall.renameNoReplace(temporary, to: final)
            }
            isPlaced = true
        } catch {
            if error.isAlreadyExisting {
                throw ArchiveError(.alreadyExists, "\(final) appeared while it was being restored; it was left as it is", entry: entry.path)
            }
            throw ArchiveError(error, entry: entry.path)
        }
    }

    func writeSymlink(_ entry: ArchiveEntry, from archive: ArchiveReader) throws(ArchiveError) {
        try guardian.ensureDirectory(parent(of: entry.path), entry: entry.path)
        let final = guardian.absolute(entry.path)
        try checkTarget(final, entry: entry)
        let target = try ArchiveContents.read(entry, from: archive, limit: 64 << 10)
        do {
            if options.overwrite, (try? Syscall.lstat(final)) != nil { try Syscall.unlink(final) }
            try Syscall.symlink(target: target, at: final)
            if options.restoresOwnership, let uid = entry.uid, let gid = entry.gid {
                try? Syscall.lchown(final, uid: uid, gid: gid)
            }
            try Syscall.setModificationTime(final, seconds: entry.modificationTime, followSymlinks: false)
        } catch {
            throw ArchiveError(error, entry: entry.path)
        }
    }

    /// Sets a directory's mode, owner and mtime, once everything inside it is written.
    func finishDirectory(_ entry: ArchiveEntry) throws(ArchiveError) {
        let path = guardian.absolute(entry.path)
        do {
            guard try Syscall.lstat(path).kind == .directory else { return }
            if options.restoresOwnership, let uid = entry.uid, let gid = entry.gid {
                try? Syscall.lchown(path, uid: uid, gid: gid)
            }
            try Syscall.chmod(path, UInt32(entry.mode))
            try Syscall.setModificationTime(path, seconds: entry.modificationTime, followSymlinks: false)
        } catch {
            throw ArchiveError(error, entry: entry.path)
        }
    }
}
