import Crypto
import PacaCore
import PacaSystem

/// Bytes of an archive that can be read at any offset: a local file (``FileByteSource``), or a
/// remote object read in ranges. Called from one blocking thread at a time or from several.
public protocol ArchiveByteSource: Sendable {
    /// What to call the archive in messages (a path, an `s3://` name).
    var name: String { get }
    var size: UInt64 { get }
    /// Reads into `buffer` at `offset`; returns the count read, short only at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(ArchiveError) -> Int
}

/// A local archive file, read with `pread`.
public final class FileByteSource: ArchiveByteSource {
    public let name: String
    public let size: UInt64
    private let fd: Int32

    public init(path: String) throws(ArchiveError) {
        name = path
        do { fd = try Syscall.open(path, .readOnly) } catch {
            throw ArchiveError(error.isNotFound ? .notFound : .io, "cannot open archive \(path): \(error.reason)", underlying: error)
        }
        // Until `size` is set, a throw does not run deinit: close by hand.
        let info: FileInfo
        do { info = try Syscall.fstat(fd, path: path) } catch {
            Syscall.close(fd)
            throw ArchiveError(error)
        }
        guard info.kind == .regular else {
            Syscall.close(fd)
            throw ArchiveError(.notAZip, "\(path) is not a regular file")
        }
        size = UInt64(info.size)
    }

    deinit { Syscall.close(fd) }

    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(ArchiveError) -> Int {
        do { return try Syscall.preadFully(fd, buffer, offset: Int64(offset), path: name) } catch { throw ArchiveError(error) }
    }
}

/// An open archive: its central directory parsed into ``ArchiveEntry`` values, and access to each
/// entry's data. Reads at offsets only, so one reader serves many threads at once.
///
/// Opening reads the end records and the central directory (memory proportional to the number
/// of entries); entry data is read on demand in bounded blocks. Every structure is bounds-checked:
/// a truncated, corrupted or non-ZIP file gives an ``ArchiveError`` naming the offset (and entry).
public final class ArchiveReader: Sendable {
    public let path: String
    /// Size of the archive file in bytes.
    public let fileSize: UInt64
    /// Entries in central directory order (empty for a reader opened with `readingDirectory:
    /// false`, which walks them with ``directoryCursor()`` instead).
    public let entries: [ArchiveEntry]
    /// Where the central directory starts: every entry's header and data lie before it.
    public let directoryOffset: UInt64
    /// The end record: where the central directory is, its size and its entry count.
    let end: EndOfCentralDirectory
    let source: any ArchiveByteSource

    public convenience init(path: String) throws(ArchiveError) {
        try self.init(source: try FileByteSource(path: path))
    }

    /// Opens the archive `source` holds: only its end records and central directory are read.
    /// With `readingDirectory` false, only the end records: memory stays flat however many entries
    /// the archive has, and ``directoryCursor()`` walks the directory in bounded blocks.
    public init(source: any ArchiveByteSource, readingDirectory: Bool = true) throws(ArchiveError) {
        self.source = source
        path = source.name
        fileSize = source.size
        do {
            let end = try Self.readEnd(source)
            self.end = end
            entries = readingDirectory ? try Self.readDirectory(source, end: end) : []
            directoryOffset = end.directoryOffset
        } catch let error as ArchiveError {
            throw error
        } catch {
            throw ArchiveError(.io, "\(error)")
        }
    }

    /// Reads up to `count` bytes at `offset`; fewer only at end of file.
    func read(at offset: UInt64, count: Int) throws(ArchiveError) -> [UInt8] {
        try Self.read(source, at: offset, count: count)
    }

    /// Reads into `buffer` at `offset`; returns the count read (short only at end of file).
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(ArchiveError) -> Int {
        try source.read(into: buffer, at: offset)
    }

    /// The decoded `.paca/manifest.json` (the last one, as readers of ZIPs take the last of a name).
    public func manifest(limit: UInt64 = 1 << 30) throws(ArchiveError) -> Manifest {
        try manifestWithDigest(limit: limit).manifest
    }

    /// The decoded manifest and the SHA-256 of its bytes, hex.
    public func manifestWithDigest(limit: UInt64 = 1 << 30) throws(ArchiveError) -> (manifest: Manifest, sha256: String) {
        let bytes = try manifestBytes(limit: limit)
        return (try Manifest.decode(bytes), SHA256.hash(data: bytes).hexString)
    }

    private func manifestBytes(limit: UInt64) throws(ArchiveError) -> [UInt8] {
        guard let entry = entries.last(where: { $0.path == Manifest.entryPath }) else {
            throw ArchiveError(.corrupt, "the archive has no \(Manifest.entryPath)")
        }
        return try ArchiveContents.read(entry, from: self, limit: limit)
    }

    /// The manifest's bytes as stored (pacad's one-entry-per-line text), refused unless they have
    /// the SHA-256 `expected` when one is given (backups written by 0.10 have none): what the file
    /// index reads for backups made before it kept copies.
    public func manifestText(expecting expected: String?, limit: UInt64 = 1 << 30) throws(ArchiveError) -> [UInt8] {
        let bytes = try manifestBytes(limit: limit)
        guard let expected else { return bytes }
        let actual = SHA256.hash(data: bytes).hexString
        guard actual == expected.lowercased() else { throw ArchiveError.manifestMismatch(actual: actual, expected: expected) }
        return bytes
    }

    /// The decoded manifest, refused unless its bytes have the SHA-256 `expected` (what the
    /// catalog recorded when the archive was written): a manifest changed afterwards could vouch
    /// for changed files.
    public func manifest(expecting expected: String) throws(ArchiveError) -> Manifest {
        try Manifest.decode(manifestText(expecting: expected))
    }

    private static func readEnd(_ source: any ArchiveByteSource) throws -> EndOfCentralDirectory {
        let path = source.name
        let fileSize = source.size
        let head = try Self.read(source, at: 0, count: 4)
        let startsLikeZip = head == [0x50, 0x4b, 0x03, 0x04] || head == [0x50, 0x4b, 0x05, 0x06]
        guard fileSize >= UInt64(Zip.endOfCentralDirectorySize) else {
            throw startsLikeZip
                ? ArchiveError(.truncated, "the archive is only \(fileSize) bytes: it is truncated", offset: Int64(fileSize))
                : ArchiveError(.notAZip, "\(path) is not a ZIP archive (it is only \(fileSize) bytes)")
        }
        let tailSize = Int(min(fileSize, UInt64(Zip.endOfCentralDirectorySize + 0xFFFF)))
        let tailStart = fileSize - UInt64(tailSize)
        let tail = try Self.read(source, at: tailStart, count: tailSize)
        guard let recordIndex = EndRecords.locate(in: tail) else {
            throw startsLikeZip
                ? ArchiveError(
                    .truncated, "no end of central directory record: the archive is truncated or its end is damaged",
                    offset: Int64(fileSize))
                : SealedByteSource.isSealed(source)
                    ? ArchiveError(.notAZip, "\(path) is encrypted with age; an identity is needed to read what it holds")
                    : ArchiveError(.notAZip, "\(path) is not a ZIP archive (no ZIP signature at its start or end)")
        }
        let recordOffset = tailStart + UInt64(recordIndex)
        var end = try EndRecords.parseClassic(tail[recordIndex...], at: recordOffset)
        if recordOffset >= UInt64(Zip.zip64LocatorSize) {
            let locatorOffset = recordOffset - UInt64(Zip.zip64LocatorSize)
            let locator = try Self.read(source, at: locatorOffset, count: Zip.zip64LocatorSize)
            if let zip64Offset = try EndRecords.parseLocator(locator[...], at: locatorOffset) {
                guard zip64Offset + UInt64(Zip.zip64EndOfCentralDirectorySize) <= locatorOffset else {
                    throw ArchiveError(
                        .corrupt, "the ZIP64 locator points at offset \(zip64Offset), past the end records", offset: Int64(locatorOffset))
                }
                let record = try Self.read(source, at: zip64Offset, count: Zip.zip64EndOfCentralDirectorySize)
                end = try EndRecords.parseZip64(record[...], at: zip64Offset)
            }
        }
        let directoryEnd = end.directoryOffset.addingReportingOverflow(end.directorySize)
        guard !directoryEnd.overflow, directoryEnd.partialValue <= recordOffset else {
            throw ArchiveError(
                .truncated,
                "the central directory (offset \(end.directoryOffset), \(end.directorySize) bytes) lies beyond the end of the file: the archive is truncated or damaged",
                offset: Int64(recordOffset))
        }
        return end
    }

    private static func readDirectory(_ source: any ArchiveByteSource, end: EndOfCentralDirectory) throws -> [ArchiveEntry] {
        let bytes = try Self.read(source, at: end.directoryOffset, count: Int(end.directorySize))
        guard bytes.count == Int(end.directorySize) else {
            throw ArchiveError(.truncated, "the central directory is cut short", offset: Int64(end.directoryOffset))
        }
        var reader = ByteReader(bytes[...], baseOffset: Int64(end.directoryOffset), what: "central directory")
        var entries: [ArchiveEntry] = []
        entries.reserveCapacity(Int(min(end.entryCount, 1 << 20)))
        while reader.remaining > 0 {
            let entry = try CentralHeaderParser.parse(&reader, index: entries.count)
            guard entry.localHeaderOffset < end.directoryOffset else {
                throw ArchiveError(
                    .corrupt, "its local header offset \(entry.localHeaderOffset) is past the start of the central directory",
                    entry: entry.path, offset: reader.offset)
            }
            entries.append(entry)
        }
        guard UInt64(entries.count) == end.entryCount else {
            throw ArchiveError(
                .corrupt, "the central directory holds \(entries.count) entries but the end record says \(end.entryCount)",
                offset: Int64(end.directoryOffset))
        }
        return entries
    }

    /// Walks the central directory in bounded blocks (``CentralDirectoryCursor``).
    func directoryCursor() -> CentralDirectoryCursor { CentralDirectoryCursor(self) }

    static func read(_ source: any ArchiveByteSource, at offset: UInt64, count: Int) throws(ArchiveError) -> [UInt8] {
        var failure: ArchiveError?
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            switch Result(catching: { () throws(ArchiveError) -> Int in
                try source.read(into: UnsafeMutableRawBufferPointer(buffer), at: offset)
            }) {
            case .success(let n): initialized = n
            case .failure(let error):
                failure = error
                initialized = 0
            }
        }
        if let failure { throw failure }
        return bytes
    }

    /// Where the entry's data starts, after checking its local header against the central directory.
    func dataOffset(of entry: ArchiveEntry) throws(ArchiveError) -> UInt64 {
        let header = try read(at: entry.localHeaderOffset, count: Zip.localHeaderSize)
        guard header.count == Zip.localHeaderSize else {
            throw ArchiveError(
                .truncated, "its local header runs past the end of the archive", entry: entry.path, offset: Int64(entry.localHeaderOffset))
        }
        var reader = ByteReader(header[...], baseOffset: Int64(entry.localHeaderOffset), what: "local header")
        guard try reader.u32() == Zip.localHeaderSignature else {
            throw ArchiveError(
                .corrupt, "no local header signature where the central directory says the entry starts", entry: entry.path,
                offset: Int64(entry.localHeaderOffset))
        }
        try reader.skip(22)
        let nameLength = UInt64(try reader.u16())
        let extraLength = UInt64(try reader.u16())
        let start = entry.localHeaderOffset + UInt64(Zip.localHeaderSize) + nameLength + extraLength
        let end = start.addingReportingOverflow(entry.compressedSize)
        guard !end.overflow, end.partialValue <= fileSize else {
            throw ArchiveError(
                .truncated, "its data (\(entry.compressedSize) bytes at offset \(start)) runs past the end of the archive",
                entry: entry.path, offset: Int64(start))
        }
        return start
    }
}
