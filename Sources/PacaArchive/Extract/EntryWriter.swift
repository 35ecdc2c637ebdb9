import Crypto
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
    private func checkTarget(_ path: String, path entryPath: String) throws(ArchiveError) {
        guard let existing = try? Syscall.lstat(path) else { return }
        if existing.kind == .directory {
            throw ArchiveError(.alreadyExists, "a directory is in the way at \(path)", entry: entryPath)
        }
        if !options.overwrite {
            throw ArchiveError(.alreadyExists, "\(path) already exists and overwriting was not asked for", entry: entryPath)
        }
    }

    /// Writes the file `placement` names with the bytes `content` hands to its body, in order.
    func writeFile(
        as placement: Placement, progress: @escaping (Int) -> Void,
        content: ((UnsafeRawBufferPointer) throws(ArchiveError) -> Void) throws(ArchiveError) -> Void
    ) throws(ArchiveError) {
        let directory = parent(of: placement.path)
        try guardian.ensureDirectory(directory, entry: placement.path)
        let final = guardian.absolute(placement.path)
        try checkTarget(final, path: placement.path)
        let temporary = guardian.absolute(directory) + "/.paca-restore-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))"
        let fd: Int32
        do { fd = try Syscall.open(temporary, .writeOnly, options: [.create, .exclusive, .noFollow], permissions: 0o600) } catch {
            throw ArchiveError(error, entry: placement.path)
        }
        var isOpen = true
        var isPlaced = false
        defer {
            if isOpen { Syscall.close(fd) }
            if !isPlaced { try? Syscall.unlink(temporary) }
        }
        var hasher = placement.sha256 != nil ? SHA256() : nil
        try content { (block) throws(ArchiveError) in
            try mappingSystemErrors(entry: placement.path) { () throws(SystemError) in try Syscall.writeAll(fd, block, path: temporary) }
            hasher?.update(bufferPointer: block)
            progress(block.count)
        }
        if let wanted = placement.sha256, let actual = hasher?.finalize().hexString, actual != wanted {
            throw ArchiveError(
                .checksumMismatch, "SHA-256 mismatch: the data gives \(actual), the manifest says \(wanted); the file was not restored",
                entry: placement.path)
        }
        do {
            if options.restoresOwnership, let uid = placement.uid, let gid = placement.gid {
                try? Syscall.fchown(fd, uid: uid, gid: gid, path: temporary)  // best effort, like tar: a missing user is not a failure
            }
            try Syscall.fchmod(fd, placement.mode, path: temporary)
            try Syscall.setModificationTime(fd, seconds: placement.seconds, nanoseconds: placement.nanoseconds, path: temporary)
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
                throw ArchiveError(
                    .alreadyExists, "\(final) appeared while it was being restored; it was left as it is", entry: placement.path)
            }
            throw ArchiveError(error, entry: placement.path)
        }
    }

    /// Makes `placement.path` another name of the restored file at `first` (a hard link).
    func writeLink(_ placement: Placement, to first: String) throws(ArchiveError) {
        try guardian.ensureDirectory(parent(of: placement.path), entry: placement.path)
        let final = guardian.absolute(placement.path)
        try checkTarget(final, path: placement.path)
        do {
            if options.overwrite, (try? Syscall.lstat(final)) != nil { try Syscall.unlink(final) }
            try Syscall.link(guardian.absolute(first), at: final)
        } catch {
            throw ArchiveError(error, entry: placement.path)
        }
    }

    func writeSymlink(_ entry: ArchiveEntry, from archive: ArchiveReader) throws(ArchiveError) {
        try guardian.ensureDirectory(parent(of: entry.path), entry: entry.path)
        let final = guardian.absolute(entry.path)
        try checkTarget(final, path: entry.path)
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

/// Where and how a restored file is placed: its path in the destination, its metadata, and the
/// SHA-256 its bytes must have (from the manifest, when the archive has one).
struct Placement: Sendable {
    var path: String
    var mode: UInt32
    var seconds: Int64
    var nanoseconds: Int64
    var uid: UInt32?
    var gid: UInt32?
    var sha256: String?

    init(_ entry: ArchiveEntry) {
        path = entry.path
        mode = entry.mode
        seconds = entry.modificationTime
        nanoseconds = 0
        uid = entry.uid
        gid = entry.gid
    }

    /// From a manifest line; `fallback` (the archive's own entry, when it has one) fills what the
    /// manifest lacks.
    init(_ line: Manifest.Entry, fallback: ArchiveEntry?) {
        path = line.path
        mode = line.permissions ?? fallback?.mode ?? 0o600
        if let nanoseconds = line.mtimeNanoseconds {
            seconds = nanoseconds.floorDivided(by: 1_000_000_000)
            self.nanoseconds = nanoseconds - seconds * 1_000_000_000
        } else {
            seconds = line.mtime
            nanoseconds = 0
        }
        uid = line.uid ?? fallback?.uid
        gid = line.gid ?? fallback?.gid
        sha256 = line.sha256
    }
}

extension Int64 {
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
