import Crypto
import PacaSystem

/// Writes single entries into the destination, each by name into its folder held open
/// (``DestinationGuard``): files through a temporary name and a rename, symlinks last, folder
/// metadata after their contents. Modes, owners and times are set on open descriptors
/// (`fchmod`, `fchown`, `futimens`), or on the name itself without following it (a symlink's
/// own), never by a path looked up again afterwards.
struct EntryWriter: @unchecked Sendable {
    let guardian: DestinationGuard
    let options: ExtractionOptions

    /// Checks what is at `name` in `folder` now: nothing, or something that may be replaced.
    private func checkTarget(_ name: String, in folder: Int32, entry: String) throws(ArchiveError) {
        guard let existing = try? Syscall.lstat(name, in: folder) else { return }
        if existing.kind == .directory {
            throw ArchiveError(.alreadyExists, "a directory is in the way at \(guardian.absolute(entry))", entry: entry)
        }
        if !options.overwrite {
            throw ArchiveError(.alreadyExists, "\(guardian.absolute(entry)) already exists and overwriting was not asked for", entry: entry)
        }
    }

    /// Writes the file `placement` names with the bytes `content` hands to its body, in order.
    func writeFile(
        as placement: Placement, progress: @escaping (Int) -> Void,
        content: ((UnsafeRawBufferPointer) throws(ArchiveError) -> Void) throws(ArchiveError) -> Void
    ) throws(ArchiveError) {
        let entry = placement.path
        try guardian.inFolder(of: entry, entry: entry) { (folder, name) throws(ArchiveError) in
            try checkTarget(name, in: folder, entry: entry)
            let temporary = ".paca-restore-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))"
            let fd: Int32
            do throws(SystemError) {
                fd = try Syscall.open(temporary, beneath: folder, .writeOnly, options: [.create, .exclusive], permissions: 0o600)
            } catch {
                throw ArchiveError(error, entry: entry)
            }
            var isOpen = true
            var isPlaced = false
            defer {
                if isOpen { Syscall.close(fd) }
                if !isPlaced { try? Syscall.unlink(temporary, in: folder) }
            }
            var hasher = placement.sha256 != nil ? SHA256() : nil
            var written: Int64 = 0
            try content { (block) throws(ArchiveError) in
                try mappingSystemErrors(entry: entry) { () throws(SystemError) in
                    if placement.sparse {
                        try Self.writeSparse(fd, block, at: written, path: temporary)
                    } else {
                        try Syscall.writeAll(fd, block, path: temporary)
                    }
                }
                written += Int64(block.count)
                hasher?.update(bufferPointer: block)
                progress(block.count)
            }
            // Zero blocks skipped at the end still count: the size is the file's.
            if placement.sparse {
                try mappingSystemErrors(entry: entry) { () throws(SystemError) in
                    try Syscall.ftruncate(fd, length: written, path: temporary)
                }
            }
            if let wanted = placement.sha256, let actual = hasher?.finalize().hexString, actual != wanted {
                throw ArchiveError(
                    .checksumMismatch, "SHA-256 mismatch: the data gives \(actual), the manifest says \(wanted); the file was not restored",
                    entry: entry)
            }
            do throws(SystemError) {
                if options.restoresOwnership, let uid = placement.uid, let gid = placement.gid {
                    try? Syscall.fchown(fd, uid: uid, gid: gid, path: temporary)  // best effort, like tar: a missing user is not a failure
                }
                try Syscall.fchmod(fd, placement.mode, path: temporary)
                try Syscall.setModificationTime(fd, seconds: placement.seconds, nanoseconds: placement.nanoseconds, path: temporary)
                isOpen = false
                Syscall.close(fd)
                try Syscall.rename(temporary, to: name, in: folder, replace: options.overwrite)
                isPlaced = true
            } catch {
                if error.isAlreadyExisting {
                    throw ArchiveError(
                        .alreadyExists, "\(guardian.absolute(entry)) appeared while it was being restored; it was left as it is",
                        entry: entry)
                }
                throw ArchiveError(error, entry: entry)
            }
        }
    }

    /// Writes `block` at `offset`, leaving each whole 4 KiB block of zeros (aligned in the file)
    /// unwritten, so it stays a hole.
    static func writeSparse(_ fd: Int32, _ block: UnsafeRawBufferPointer, at offset: Int64, path: String) throws(SystemError) {
        let size: Int64 = 4096
        var start = 0
        while start < block.count {
            let position = offset + Int64(start)
            let end = min(block.count, start + Int(size - position % size))
            let chunk = UnsafeRawBufferPointer(rebasing: block[start..<end])
            let isWholeBlock = end - start == Int(size)
            if !(isWholeBlock && chunk.allSatisfy { $0 == 0 }) {
                try Syscall.pwriteAll(fd, chunk, offset: position, path: path)
            }
            start = end
        }
    }

    /// Makes `placement.path` another name of the restored file at `first` (a hard link).
    func writeLink(_ placement: Placement, to first: String) throws(ArchiveError) {
        let entry = placement.path
        try guardian.inFolder(of: first, entry: entry) { (firstFolder, firstName) throws(ArchiveError) in
            try guardian.inFolder(of: entry, entry: entry) { (folder, name) throws(ArchiveError) in
                try checkTarget(name, in: folder, entry: entry)
                do throws(SystemError) {
                    if options.overwrite, (try? Syscall.lstat(name, in: folder)) != nil { try Syscall.unlink(name, in: folder) }
                    try Syscall.link(firstName, in: firstFolder, as: name, in: folder)
                } catch {
                    throw ArchiveError(error, entry: entry)
                }
            }
        }
    }

    func writeSymlink(_ entry: ArchiveEntry, from archive: ArchiveReader) throws(ArchiveError) {
        let target = try ArchiveContents.read(entry, from: archive, limit: 64 << 10)
        try guardian.inFolder(of: entry.path, entry: entry.path) { (folder, name) throws(ArchiveError) in
            try checkTarget(name, in: folder, entry: entry.path)
            do throws(SystemError) {
                if options.overwrite, (try? Syscall.lstat(name, in: folder)) != nil { try Syscall.unlink(name, in: folder) }
                try Syscall.symlink(target: target, as: name, in: folder)
                if options.restoresOwnership, let uid = entry.uid, let gid = entry.gid {
                    try? Syscall.lchown(name, in: folder, uid: uid, gid: gid)
                }
                try Syscall.setModificationTime(name, in: folder, seconds: entry.modificationTime)
            } catch {
                throw ArchiveError(error, entry: entry.path)
            }
        }
    }

    /// Makes a FIFO, socket or device node again, with its mode, owner and time. The kernel lets
    /// anyone make a FIFO and only root (CAP_MKNOD) a device or socket node: for others it is a
    /// problem that names the entry, and nothing else is lost.
    func makeSpecial(_ entry: ArchiveEntry, device: UInt64) throws(ArchiveError) {
        try guardian.inFolder(of: entry.path, entry: entry.path) { (folder, name) throws(ArchiveError) in
            try checkTarget(name, in: folder, entry: entry.path)
            do throws(SystemError) {
                if options.overwrite, (try? Syscall.lstat(name, in: folder)) != nil { try Syscall.unlink(name, in: folder) }
                try Syscall.mknod(name, in: folder, type: entry.kind.unixFileType, permissions: entry.mode & 0o7777, device: device)
                if options.restoresOwnership, let uid = entry.uid, let gid = entry.gid {
                    try? Syscall.lchown(name, in: folder, uid: uid, gid: gid)
                }
                try Syscall.setModificationTime(name, in: folder, seconds: entry.modificationTime)
            } catch {
                throw ArchiveError(error, entry: entry.path)
            }
        }
    }

    /// Makes sure the folder of a directory entry exists (mode 0700 until ``finishDirectory(_:)``).
    func makeDirectory(_ entry: ArchiveEntry) throws(ArchiveError) {
        Syscall.close(try guardian.openDirectory(entry.path, entry: entry.path))
    }

    /// Sets a folder's mode, owner and mtime on its descriptor, once everything inside it is written.
    func finishDirectory(_ entry: ArchiveEntry) throws(ArchiveError) {
        let folder = try guardian.openDirectory(entry.path, entry: entry.path)
        defer { Syscall.close(folder) }
        do throws(SystemError) {
            if options.restoresOwnership, let uid = entry.uid, let gid = entry.gid {
                try? Syscall.fchown(folder, uid: uid, gid: gid, path: entry.path)
            }
            try Syscall.fchmod(folder, UInt32(entry.mode), path: entry.path)
            try Syscall.setModificationTime(folder, seconds: entry.modificationTime, path: entry.path)
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
    /// The file had holes: its zero blocks are left as holes.
    var sparse = false

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
        sparse = line.sparse == true
    }
}

extension Int64 {
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
