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
    private let change: ChangeDetection
    /// The archives of retiring backups, whose unchanged files' compressed bytes are copied.
    private let carriers: HolderArchives
    /// First names of the files with more than one link met so far, by device and inode.
    private var linked: [FileIdentity: String] = [:]
    private(set) var problems: [SourceProblem] = []
    private(set) var changed: [String] = []
    /// Files that were read to compare them with the base and turned out to be unchanged.
    private(set) var rehashed = 0
    static let windowSize = 32 << 10

    init(
        walker: SourceWalker, queue: WorkQueue, pieceSize: Int, level: Int, skipping identities: [FileInfo],
        base: ChangeIndexCursor?, change: ChangeDetection, carriers: HolderArchives, isCancelled: @escaping @Sendable () -> Bool
    ) throws(ArchiveError) {
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
            name: Array(item.archivePath.utf8) + (item.kind == .directory ? [UInt8(ascii: "/")] : []),
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
        case .directory:
            let entry = PendingEntry(record: record(for: item, info: item.info), sourcePath: item.sourcePath, info: item.info)
            try queue.submit(WorkUnit(entry: entry, shape: .whole, input: [], needsWork: false))
        case .symlink:
            let target: [UInt8]
            do { target = try Syscall.readlink(item.sourcePath) } catch {
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
            if let previous = base?.lookup(item.archivePath), let holder = unchangedHolder(item, previous) {
                let entry = PendingEntry(record: record(for: item, info: item.info), sourcePath: item.sourcePath, info: item.info)
                entry.record.size = previous.size
                entry.sha256 = previous.sha256
                guard change.retiring.contains(holder) else {
                    entry.holder = holder
                    try queue.submit(WorkUnit(entry: entry, shape: .manifestOnly, input: [], needsWork: false))
                    return
                }
                // Its archive is being retired: copy the compressed bytes from it when it can be read.
                if case .found(let archive, let old) = carriers.lookup(item.archivePath, in: holder), old.kind == .file,
                    !old.isEncrypted, old.size == previous.size
                {
                    let unit = WorkUnit(entry: entry, shape: .carried, input: [], needsWork: false)
                    unit.carried = (archive, old)
                    try queue.submit(unit)
                    return
                }
            }
            try submitFile(item)
        }
    }

    /// The holder of `item`'s bytes when it is the file `previous` records: unchanged by its
    /// identity and times, or (when those moved, or with `rehash`) read and found to have the
    /// same SHA-256. Nil when it must be stored.
    private func unchangedHolder(_ item: SourceItem, _ previous: IndexedFile) -> String? {
        guard previous.size == UInt64(item.info.size) else { return nil }
        if !change.rehash && previous.isUnchanged(item.info) { return previous.holder }
        guard let digest = Self.digest(of: item.sourcePath, expecting: item.info) else { return nil }
        guard digest == previous.sha256 else { return nil }
        rehashed += 1
        return previous.holder
    }

    /// The SHA-256 of the file at `path`, when it still is the file `info` describes before and
    /// after the read (otherwise nil: the caller reads it again to store it).
    static func digest(of path: String, expecting info: FileInfo) -> String? {
        guard let fd = try? Syscall.openForReading(path) else { return nil }
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
            fd = try Syscall.openForReading(item.sourcePath)
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
        var bytesRead: Int64 = 0

        /// The next piece (at most `pieceSize` bytes, never past the size the file had when opened),
        /// and the read error that cut it short, if any. Every byte returned has been hashed.
        func readPiece() -> (bytes: [UInt8], error: SystemError?) {
            let want = Int(min(Int64(pieceSize), expected - bytesRead))
            guard want > 0 else { return ([], nil) }
            var failure: SystemError?
            let piece = [UInt8](unsafeUninitializedCapacity: want) { buffer, count in
                count = 0
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
            piece.withUnsafeBytes { hasher.update(bufferPointer: $0) }
            bytesRead += Int64(piece.count)
            return (piece, failure)
        }

        func finishEntry(readError: SystemError?) {
            entry.sha256 = hasher.finalize().hexString
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
