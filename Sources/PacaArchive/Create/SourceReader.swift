import Crypto
import PacaSystem

/// The reader side of the pipeline: walks the sources, reads each file once (hashing it with
/// SHA-256 as it goes) and submits the data as work units. Runs on its own thread.
///
/// A file is read up to the size it had when opened, so a growing log is stored as a consistent
/// prefix; a file whose size or times change during the read is reported as changed. A file that
/// cannot be opened is reported and skipped; a read that fails midway keeps what was read and
/// marks the entry partial.
final class SourceReader {
    private var walker: SourceWalker
    private let queue: WorkQueue
    private let pieceSize: Int
    private let level: Int
    private let probe: CompressibilityProbe
    private let skipIdentities: [FileInfo]
    private let isCancelled: @Sendable () -> Bool
    private let base: ChangeIndexCursor?
    /// The base's large files by contents, for files that are new by name.
    private let contents: ContentIndex?
    private let change: ChangeDetection
    /// The archives of retiring backups, whose unchanged files' compressed bytes are copied.
    private let carriers: HolderArchives
    /// First names of the files with more than one link met so far, by device and inode.
    private var linked: [FileIdentity: String] = [:]
    private(set) var problems: [SourceProblem] = []
    private(set) var changed: [String] = []
    /// Files that were read to compare them with the base and turned out to be unchanged.
    private(set) var rehashed = 0
    /// New names whose contents the base already holds under another name (renamed, moved, copied).
    private(set) var moved = 0
    static let windowSize = 32 << 10

    init(
        walker: SourceWalker, queue: WorkQueue, pieceSize: Int, level: Int, skipping identities: [FileInfo],
        base: ChangeIndexCursor?, contents: ContentIndex? = nil, change: ChangeDetection, carriers: HolderArchives,
        isCancelled: @escaping @Sendable () -> Bool
    ) throws(ArchiveError) {
        self.contents = contents
        self.carriers = carriers
        self.walker = walker
        self.queue = queue
        self.pieceSize = pieceSize
        self.level = level
        self.skipIdentities = identities
        self.base = base
        self.change = change
        self.isCancelled = isCancelled
        probe = try CompressibilityProbe()
    }

    var warnings: [SourceProblem] { walker.warnings }
    var errors: [SourceProblem] { walker.errors + problems }

    /// Reads everything, then closes the queue. Errors stop the pipeline through the queue.
    func run() {
        do {
            while let item = walker.next() {
                if isCancelled() { throw ArchiveError(.cancelled, "archive creation was cancelled") }
                if skipIdentities.contains(where: { item.info.isSameFile(as: $0) }) { continue }
                try submit(item)
            }
            queue.close()
        } catch let error as ArchiveError {
            queue.fail(error)
        } catch {
            queue.fail(ArchiveError(.io, "\(error)"))
        }
    }

    private func record(for item: SourceItem, info: FileInfo) -> EntryRecord {
        EntryRecord(
            name: NameBytes.bytes(item.archivePath) + (item.kind == .directory ? [UInt8(ascii: "/")] : []),
            kind: item.kind,
            mode: info.permissions,
            modificationTime: info.modified.seconds,
            uid: info.uid,
            gid: info.gid,
            method: .stored,
            usesDataDescriptor: false,
            hasLocalZip64: false
        )
    }

    private func submit(_ item: SourceItem) throws(ArchiveError) {
        switch item.kind {
        case .directory, .fifo, .socket, .characterDevice, .blockDevice:
            let entry = PendingEntry(record: record(for: item, info: item.info), sourcePath: item.sourcePath, info: item.info)
            try queue.submit(WorkUnit(entry: entry, shape: .whole, input: [], needsWork: false))
        case .symlink:
            let target: [UInt8]
            do { target = try item.readLink() } catch {
                problems.append(SourceProblem(path: item.sourcePath, message: error.description))
                return
            }
            let entry = PendingEntry(record: record(for: item, info: item.info), sourcePath: item.sourcePath, info: item.info)
            try queue.submit(WorkUnit(entry: entry, shape: .whole, input: target, needsWork: true))
        case .file:
            if item.info.linkCount > 1 {
                let identity = FileIdentity(device: item.info.device, inode: item.info.inode)
                if let first = linked[identity] {
                    let entry = PendingEntry(record: record(for: item, info: item.info), sourcePath: item.sourcePath, info: item.info)
                    entry.linkTarget = first
                    try queue.submit(WorkUnit(entry: entry, shape: .manifestOnly, input: [], needsWork: false))
                    return
                }
                linked[identity] = item.archivePath
            }
            if let previous = base?.lookup(item.archivePath) {
                if !change.rehash && previous.isUnchanged(item.info) {
                    if try reference(item, previous) { return }
                } else if try storeChangedParts(item, previous) {
                    return
                } else if previous.size == UInt64(item.info.size), previous.parts.isEmpty || previous.size <= PartLayout.size,
                    Self.digest(of: item) == previous.sha256, try reference(item, previous)
                {
                    rehashed += 1
                    return
                }
            } else if try referenceMoved(item) {
                return
            }
            try submitFile(item)
        }
    }

    /// Records `item` as the file `previous` describes, its bytes where they already are. Copies
    /// them from an archive being retired when it can; false when the file must be stored again.
    private func reference(_ item: SourceItem, _ previous: IndexedFile) throws(ArchiveError) -> Bool {
        let entry = PendingEntry(record: record(for: item, info: item.info), sourcePath: item.sourcePath, info: item.info)
        entry.record.size = previous.size
        entry.sha256 = previous.sha256
        entry.parts = previous.parts
        if !previous.segments.isEmpty {
            if previous.segments.contains(where: { change.retiring.contains($0.holder ?? previous.holder) }) {
                // The parts a retiring archive holds are read from the file again (checked against
                // their recorded digests) and stored; the other segments stay where they are.
                guard let fd = try? item.openForReading() else { return false }
                defer { Syscall.close(fd) }
                guard let now = try? Syscall.fstat(fd, path: item.sourcePath), now.isSameFile(as: item.info),
                    UInt64(now.size) == previous.size
                else { return false }
                return try storeParts(item, previous, fd: fd, info: now, digest: previous.sha256, digests: previous.parts)
            }
            entry.segments = previous.segments
            try queue.submit(WorkUnit(entry: entry, shape: .manifestOnly, input: [], needsWork: false))
            return true
        }
        guard change.retiring.contains(previous.holder) else {
            entry.holder = previous.holder
            try queue.submit(WorkUnit(entry: entry, shape: .manifestOnly, input: [], needsWork: false))
            return true
        }
        // Its archive is being retired: copy the compressed bytes from it when it can be read.
        guard case .found(let archive, let old) = carriers.lookup(item.archivePath, in: previous.holder), old.kind == .file,
            !old.isEncrypted, old.size == previous.size
        else { return false }
        let unit = WorkUnit(entry: entry, shape: .carried, input: [], needsWork: false)
        unit.carried = (archive, old)
        try queue.submit(unit)
        return true
    }

    /// Records a large file that is new by name but has the contents of one of the base's (it was
    /// renamed, moved or copied) as that file's bytes, where the base keeps them. It is read once
    /// to compare, and only when some base file has its size.
    private func referenceMoved(_ item: SourceItem) throws(ArchiveError) -> Bool {
        let size = UInt64(item.info.size)
        guard size > PartLayout.size, let contents, contents.hasFiles(of: size),
            let digest = Self.digest(of: item),
            let original = contents.file(size: size, sha256: digest, excluding: change.retiring)
        else { return false }
        let entry = PendingEntry(record: record(for: item, info: item.info), sourcePath: item.sourcePath, info: item.info)
        entry.record.size = size
        entry.sha256 = digest
        entry.parts = original.parts
        entry.segments = original.layout.map {
            Manifest.Segment(holder: $0.holder ?? original.holder, entry: $0.entry, offset: $0.offset, size: $0.size)
        }
        try queue.submit(WorkUnit(entry: entry, shape: .manifestOnly, input: [], needsWork: false))
        moved += 1
        return true
    }

    /// Stores only the parts of a file of several parts that differ from `previous`'s, when at
    /// most half of it changed: the file is read once to digest its parts, then each run of
    /// changed parts is read again and stored as a part entry, and the file's manifest line lists
    /// where each of its bytes is. Returns false (nothing recorded for the file) when the file
    /// must be stored whole: no part digests to compare with, most of it changed, or it changed
    /// while it was read. A file found identical is referenced as it was.
    private func storeChangedParts(_ item: SourceItem, _ previous: IndexedFile) throws(ArchiveError) -> Bool {
        let size = UInt64(item.info.size)
        guard size > PartLayout.size, !previous.parts.isEmpty, previous.parts.count == 32 * PartLayout.count(of: previous.size) else {
            return false
        }
        guard let fd = try? item.openForReading() else { return false }
        defer { Syscall.close(fd) }
        guard let before = try? Syscall.fstat(fd, path: item.sourcePath), before.isSameFile(as: item.info), before.size == item.info.size
        else { return false }
        var hasher = PartHasher()
        var total: UInt64 = 0
        guard
            let digest = try? FileDigest.stream(
                descriptor: fd, path: item.sourcePath,
                {
                    hasher.update($0); total += UInt64($0.count)
                }),
            total == size, Self.isSame(before, fd: fd, path: item.sourcePath)
        else { return false }
        let digests = hasher.finish()
        if digest == previous.sha256 && size == previous.size {
            guard try reference(item, previous) else { return false }
            rehashed += 1
            return true
        }

        return try storeParts(item, previous, fd: fd, info: before, digest: digest, digests: digests)
    }

    /// Stores the runs of parts of the open file `fd` that cannot be taken from where `previous`
    /// has them (their digest in `digests` differs, or their archive is retiring), when they are
    /// at most half of the file, and records the file as segments. `digest` and `digests` are the
    /// file's SHA-256 and part digests as `info` describes it; each stored run is checked against
    /// them as it is read. False (nothing recorded for the file) when it must be stored whole.
    private func storeParts(
        _ item: SourceItem, _ previous: IndexedFile, fd: Int32, info before: FileInfo, digest: String, digests: [UInt8]
    ) throws(ArchiveError) -> Bool {
        let size = UInt64(before.size)
        guard digests.count == 32 * PartLayout.count(of: size) else { return false }
        // Which parts can be taken from where they are, and the runs of parts to store.
        var layout = SegmentLayout(previous.layout)
        var segments: [Manifest.Segment] = []
        var runs: [(start: UInt64, end: UInt64)] = []
        var changedBytes: UInt64 = 0
        let oldCount = previous.parts.count / 32
        for part in 0..<PartLayout.count(of: size) {
            let start = UInt64(part) * PartLayout.size
            let end = min(start + PartLayout.size, size)
            let same =
                part < oldCount && min(start + PartLayout.size, previous.size) == end
                && digests[32 * part..<32 * part + 32].elementsEqual(previous.parts[32 * part..<32 * part + 32])
            let kept = same ? layout.slice(start, end) : nil
            if let kept, !kept.contains(where: { change.retiring.contains($0.holder ?? previous.holder) }) {
                segments.append(contentsOf: kept)
                continue
            }
            changedBytes += end - start
            if let last = runs.last, last.end == start {
                runs[runs.count - 1].end = end
            } else {
                runs.append((start, end))
            }
            let runStart = runs[runs.count - 1].start
            segments.append(
                Manifest.Segment(
                    holder: nil, entry: PartLayout.entryName(for: item.archivePath, at: runStart), offset: start - runStart,
                    size: end - start))
        }
        guard changedBytes * 2 <= size else { return false }

        for run in runs {
            let expected = digests[Int(run.start / PartLayout.size) * 32..<Int((run.end + PartLayout.size - 1) / PartLayout.size) * 32]
            let record = EntryRecord(
                name: NameBytes.bytes(PartLayout.entryName(for: item.archivePath, at: run.start)), kind: .file, mode: before.permissions,
                modificationTime: before.modified.seconds, uid: before.uid, gid: before.gid, method: .stored, usesDataDescriptor: false,
                hasLocalZip64: false)
            let entry = PendingEntry(record: record, sourcePath: item.sourcePath, info: before)
            let stored = try storeRange(of: fd, path: item.sourcePath, from: run.start, count: run.end - run.start, as: entry)
            guard stored.elementsEqual(expected) else {
                // The file changed between the two reads: store it whole (the part entries stay unused).
                return false
            }
        }
        guard Self.isSame(before, fd: fd, path: item.sourcePath) else { return false }
        let entry = PendingEntry(record: record(for: item, info: before), sourcePath: item.sourcePath, info: before)
        entry.record.size = size
        entry.sha256 = digest
        entry.parts = digests
        entry.segments = SegmentLayout.merged(segments)
        try queue.submit(WorkUnit(entry: entry, shape: .manifestOnly, input: [], needsWork: false))
        return true
    }

    /// True when the open file still has the size and times `before` recorded.
    private static func isSame(_ before: FileInfo, fd: Int32, path: String) -> Bool {
        guard let after = try? Syscall.fstat(fd, path: path) else { return false }
        return after.size == before.size && after.modified == before.modified && after.changed == before.changed
    }

    /// Submits the `count` bytes of `fd` from `offset` as the data of `entry` (a part entry) and
    /// returns their part digests. Throws when the pipeline stops; a read error fails the file
    /// (the digests then do not match, and the caller stores the file whole).
    private func storeRange(of fd: Int32, path: String, from offset: UInt64, count: UInt64, as entry: PendingEntry) throws(ArchiveError)
        -> [UInt8]
    {
        var parts = PartHasher()
        var whole = SHA256()
        var done: UInt64 = 0
        let pieceSize = UInt64(self.pieceSize)
        let encoding = count > pieceSize && level > 0 ? probe.encoding(fileDescriptor: fd, size: Int64(count), path: path) : .store
        if count > pieceSize {
            entry.record.usesDataDescriptor = true
            entry.record.hasLocalZip64 = count >= 0xF000_0000
            entry.record.method = encoding.method
        }
        var index = 0
        var previous: [UInt8] = []
        while done < count {
            let want = Int(min(pieceSize, count - done))
            var failed = false
            let piece = [UInt8](unsafeUninitializedCapacity: want) { buffer, filled in
                let target = UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: buffer[0..<want]))
                filled = (try? Syscall.preadFully(fd, target, offset: Int64(offset + done), path: path)) ?? 0
                failed = filled != want
            }
            piece.withUnsafeBytes {
                parts.update($0)
                whole.update(bufferPointer: $0)
            }
            done += UInt64(piece.count)
            let isLast = done == count || failed
            if isLast { entry.sha256 = whole.finalize().hexString }
            if count <= pieceSize {
                try queue.submit(WorkUnit(entry: entry, shape: .whole, input: piece, needsWork: true))
            } else {
                try queue.submit(
                    WorkUnit(
                        entry: entry, shape: .piece(index: index, isLast: isLast), input: piece,
                        dictionary: encoding == .deflate ? Self.tail(of: previous) : [], encoding: encoding, needsWork: true))
            }
            if failed { return [] }
            previous = piece
            index += 1
        }
        return parts.finish()
    }

    /// The SHA-256 of `item`'s file, when it still is the file the walk saw before and after the
    /// read (otherwise nil: the caller reads it again to store it).
    static func digest(of item: SourceItem) -> String? {
        let (path, info) = (item.sourcePath, item.info)
        guard let fd = try? item.openForReading() else { return nil }
        defer { Syscall.close(fd) }
        guard let before = try? Syscall.fstat(fd, path: path), before.isSameFile(as: info), before.size == info.size else { return nil }
        var total: Int64 = 0
        guard let digest = try? FileDigest.stream(descriptor: fd, path: path, { total += Int64($0.count) }),
            total == info.size, let after = try? Syscall.fstat(fd, path: path), after.modified == before.modified,
            after.changed == before.changed, after.size == before.size
        else { return nil }
        return digest
    }

    private func submitFile(_ item: SourceItem) throws(ArchiveError) {
        let fd: Int32
        do {
            fd = try item.openForReading()
        } catch {
            problems.append(SourceProblem(path: item.sourcePath, message: error.description))
            return
        }
        defer { Syscall.close(fd) }
        let info: FileInfo
        do { info = try Syscall.fstat(fd, path: item.sourcePath) } catch {
            problems.append(SourceProblem(path: item.sourcePath, message: error.description))
            return
        }
        let expected = info.size
        let entry = PendingEntry(record: record(for: item, info: info), sourcePath: item.sourcePath, info: info)
        var hasher = SHA256()
        var partHasher = expected > Int64(PartLayout.size) ? PartHasher() : nil
        var bytesRead: Int64 = 0

        /// The next piece (at most `pieceSize` bytes, never past the size the file had when opened),
        /// and the read error that cut it short, if any. Every byte returned has been hashed.
        func readPiece() -> (bytes: [UInt8], error: SystemError?) {
            let want = Int(min(Int64(pieceSize), expected - bytesRead))
            guard want > 0 else { return ([], nil) }
            var failure: SystemError?
            let piece = [UInt8](unsafeUninitializedCapacity: want) { buffer, count in
                count = 0
                if info.isSparse {
                    // Holes are not read: zeros up to the next data (which the file offset moves to).
                    switch Result(catching: { () throws(SystemError) in try Syscall.nextData(fd, from: bytesRead, path: item.sourcePath) })
                    {
                    case .success(let next):
                        let zeros = Int(min(Int64(want), (next ?? expected) - bytesRead))
                        if zeros > 0 {
                            UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: buffer[0..<zeros])).initializeMemory(
                                as: UInt8.self, repeating: 0)
                            count = zeros
                        }
                    case .failure(let error):
                        failure = error
                        return
                    }
                }
                while count < want {
                    let target = UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: buffer[count..<want]))
                    switch Result(catching: { () throws(SystemError) -> Int in try Syscall.read(fd, target, path: item.sourcePath) }) {
                    case .success(0): break
                    case .success(let n):
                        count += n
                        continue
                    case .failure(let error): failure = error
                    }
                    break
                }
            }
            piece.withUnsafeBytes {
                hasher.update(bufferPointer: $0)
                partHasher?.update($0)
            }
            bytesRead += Int64(piece.count)
            return (piece, failure)
        }

        func finishEntry(readError: SystemError?) {
            entry.sha256 = hasher.finalize().hexString
            if readError == nil && bytesRead == expected, let parts = partHasher?.finish() { entry.parts = parts }
            if let readError {
                entry.problem = SourceProblem(
                    path: item.sourcePath, message: "\(readError); the archive holds the first \(bytesRead) bytes")
                problems.append(entry.problem!)
                return
            }
            if let after = try? Syscall.fstat(fd, path: item.sourcePath),
                after.size != info.size || after.modified != info.modified || bytesRead != expected
            {
                entry.changedWhileReading = true
                changed.append(item.sourcePath)
            }
        }

        let (first, firstError) = readPiece()
        if let firstError {
            problems.append(SourceProblem(path: item.sourcePath, message: firstError.description))
            return
        }
        if expected <= Int64(pieceSize) {
            finishEntry(readError: nil)
            try queue.submit(WorkUnit(entry: entry, shape: .whole, input: first, needsWork: true))
            return
        }

        entry.record.usesDataDescriptor = true
        entry.record.hasLocalZip64 = expected >= 0xF000_0000
        let encoding = level > 0 ? probe.encoding(fileDescriptor: fd, size: expected, path: item.sourcePath) : .store
        entry.record.method = encoding.method
        var current = first
        var index = 0
        var dictionary: [UInt8] = []
        while true {
            if isCancelled() { throw ArchiveError(.cancelled, "archive creation was cancelled") }
            let (next, readError) = readPiece()
            let isLast = next.isEmpty || readError != nil
            if isLast { finishEntry(readError: readError) }
            try queue.submit(
                WorkUnit(
                    entry: entry, shape: .piece(index: index, isLast: isLast && next.isEmpty), input: current, dictionary: dictionary,
                    encoding: encoding, needsWork: true))
            if isLast {
                if !next.isEmpty {
                    // A read failed partway through `next`: what was read before the failure ends the entry.
                    try queue.submit(
                        WorkUnit(
                            entry: entry, shape: .piece(index: index + 1, isLast: true), input: next,
                            dictionary: encoding == .deflate ? Self.tail(of: current) : [], encoding: encoding, needsWork: true))
                }
                return
            }
            if encoding == .deflate { dictionary = Self.tail(of: current) }
            current = next
            index += 1
        }
    }
    private static func tail(of bytes: [UInt8]) -> [UInt8] {
        Array(bytes.suffix(windowSize))
    }
}

/// A file's identity on this machine: hard links share it.
struct FileIdentity: Hashable {
    var device: UInt64
    var inode: UInt64
}

/// How a backup compares its tree with the base's change index.
public struct ChangeDetection: Sendable, Equatable {
    /// Read every file whose size matches the base's record and compare digests, instead of
    /// trusting an unchanged identity and times (`--rehash`).
    public var rehash: Bool
    /// Backups whose archives this backup must not reference: their files are stored again
    /// (bounding how many archives a restore needs, and letting thinly used archives go).
    public var retiring: Set<String>

    public init(rehash: Bool = false, retiring: Set<String> = []) {
        self.rehash = rehash
        self.retiring = retiring
    }
}
