import CPacaSystem
import Crypto

#if canImport(Glibc)
    import Glibc
#endif

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
    private let skipIdentities: [(dev: UInt64, ino: UInt64)]
    private let isCancelled: @Sendable () -> Bool
    private(set) var problems: [SourceProblem] = []
    private(set) var changed: [String] = []
    static let windowSize = 32 << 10

    init(
        walker: SourceWalker, queue: WorkQueue, pieceSize: Int, level: Int, skipping identities: [(dev: UInt64, ino: UInt64)],
        isCancelled: @escaping @Sendable () -> Bool
    ) throws(ArchiveError) {
        self.walker = walker
        self.queue = queue
        self.pieceSize = pieceSize
        self.level = level
        self.skipIdentities = identities
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
                if skipIdentities.contains(where: { UInt64(item.info.st_dev) == $0.dev && UInt64(item.info.st_ino) == $0.ino }) { continue }
                try submit(item)
            }
            queue.close()
        } catch let error as ArchiveError {
            queue.fail(error)
        } catch {
            queue.fail(ArchiveError(.io, "\(error)"))
        }
    }

    private func record(for item: SourceItem, info: stat) -> EntryRecord {
        EntryRecord(
            name: Array(item.archivePath.utf8) + (item.kind == .directory ? [UInt8(ascii: "/")] : []),
            kind: item.kind,
            mode: UInt32(info.st_mode) & 0o7777,
            modificationTime: Int64(info.st_mtim.tv_sec),
            uid: info.st_uid,
            gid: info.st_gid,
            method: .stored,
            usesDataDescriptor: false,
            hasLocalZip64: false
        )
    }

    private func submit(_ item: SourceItem) throws(ArchiveError) {
        switch item.kind {
        case .directory:
            let entry = PendingEntry(record: record(for: item, info: item.info), sourcePath: item.sourcePath)
            try queue.submit(WorkUnit(entry: entry, shape: .whole, input: [], needsWork: false))
        case .symlink:
            let target: [UInt8]
            do { target = try Syscall.readlink(item.sourcePath) } catch {
                problems.append(SourceProblem(path: item.sourcePath, message: error.description))
                return
            }
            let entry = PendingEntry(record: record(for: item, info: item.info), sourcePath: item.sourcePath)
            try queue.submit(WorkUnit(entry: entry, shape: .whole, input: target, needsWork: true))
        case .file:
            try submitFile(item)
        }
    }

    private func submitFile(_ item: SourceItem) throws(ArchiveError) {
        let fd: Int32
        do {
            fd = try Self.openForReading(item.sourcePath)
        } catch {
            problems.append(SourceProblem(path: item.sourcePath, message: error.description))
            return
        }
        defer { Syscall.close(fd) }
        let info: stat
        do { info = try Syscall.fstat(fd, path: item.sourcePath) } catch {
            problems.append(SourceProblem(path: item.sourcePath, message: error.description))
            return
        }
        let expected = Int64(info.st_size)
        let entry = PendingEntry(record: record(for: item, info: info), sourcePath: item.sourcePath)
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
                after.st_size != info.st_size || after.st_mtim.tv_sec != info.st_mtim.tv_sec
                    || after.st_mtim.tv_nsec != info.st_mtim.tv_nsec || bytesRead != expected
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

    /// Linux's O_NOATIME (not exported by Glibc's Swift module): reading for a backup should not
    /// touch access times.
    private static let noAccessTime = paca_o_noatime()

    private static func openForReading(_ path: String) throws(SystemError) -> Int32 {
        var fd = Glibc.open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | noAccessTime)
        if fd < 0 {
            // O_NOATIME is allowed only to the file's owner (or with CAP_FOWNER); other errors repeat below.
            fd = try Syscall.open(path, O_RDONLY | O_NOFOLLOW)
        }
        Syscall.posixFadviseSequential(fd)
        return fd
    }
}
