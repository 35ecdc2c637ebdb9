#if canImport(Glibc)
    import Glibc
#endif

/// An open archive: its central directory parsed into ``ArchiveEntry`` values, and access to each
/// entry's data. Reads with `pread` only, so one reader serves many threads at once.
///
/// Opening reads the end records and the central directory (memory proportional to the number
/// of entries); entry data is read on demand in bounded blocks. Every structure is bounds-checked:
/// a truncated, corrupted or non-ZIP file gives an ``ArchiveError`` naming the offset (and entry).
public final class ArchiveReader: Sendable {
    public let path: String
    /// Size of the archive file in bytes.
    public let fileSize: UInt64
    /// Entries in central directory order.
    public let entries: [ArchiveEntry]
    private let fd: Int32

    public init(path: String) throws(ArchiveError) {
        self.path = path
        let fd: Int32
        do { fd = try Syscall.open(path, O_RDONLY) } catch {
            throw ArchiveError(error.isNotFound ? .notFound : .io, "cannot open archive \(path): \(error.reason)", underlying: error)
        }
        do {
            let info = try Syscall.fstat(fd, path: path)
            guard info.st_mode & S_IFMT == S_IFREG else {
                throw ArchiveError(.notAZip, "\(path) is not a regular file")
            }
            fileSize = UInt64(info.st_size)
            let end = try Self.readEnd(fd: fd, path: path, fileSize: fileSize)
            entries = try Self.readDirectory(fd: fd, path: path, end: end, fileSize: fileSize)
        } catch let error as ArchiveError {
            Syscall.close(fd)
            throw error
        } catch let error as SystemError {
            Syscall.close(fd)
            throw ArchiveError(error)
        } catch {
            Syscall.close(fd)
            throw ArchiveError(.io, "\(error)")
        }
        self.fd = fd
    }

    deinit { Syscall.close(fd) }

    /// Reads up to `count` bytes at `offset`; fewer only at end of file.
    func read(at offset: UInt64, count: Int) throws(ArchiveError) -> [UInt8] {
        try Self.pread(fd, path, at: offset, count: count)
    }

    /// Reads into `buffer` at `offset`; returns the count read (short only at end of file).
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(ArchiveError) -> Int {
        do { return try Syscall.preadFully(fd, buffer, offset: Int64(offset), path: path) } catch { throw ArchiveError(error) }
    }

    private static func readEnd(fd: Int32, path: String, fileSize: UInt64) throws -> EndOfCentralDirectory {
        let head = try Self.pread(fd, path, at: 0, count: 4)
        let startsLikeZip = head == [0x50, 0x4b, 0x03, 0x04] || head == [0x50, 0x4b, 0x05, 0x06]
        guard fileSize >= UInt64(Zip.endOfCentralDirectorySize) else {
            throw startsLikeZip
                ? ArchiveError(.truncated, "the archive is only \(fileSize) bytes: it is truncated", offset: Int64(fileSize))
                : ArchiveError(.notAZip, "\(path) is not a ZIP archive (it is only \(fileSize) bytes)")
        }
        let tailSize = Int(min(fileSize, UInt64(Zip.endOfCentralDirectorySize + 0xFFFF)))
        let tailStart = fileSize - UInt64(tailSize)
        let tail = try Self.pread(fd, path, at: tailStart, count: tailSize)
        guard let recordIndex = EndRecords.locate(in: tail) else {
            throw startsLikeZip
                ? ArchiveError(
                    .truncated, "no end of central directory record: the archive is truncated or its end is damaged",
                    offset: Int64(fileSize))
                : ArchiveError(.notAZip, "\(path) is not a ZIP archive (no ZIP signature at its start or end)")
        }
        let recordOffset = tailStart + UInt64(recordIndex)
        var end = try EndRecords.parseClassic(tail[recordIndex...], at: recordOffset)
        if recordOffset >= UInt64(Zip.zip64LocatorSize) {
            let locatorOffset = recordOffset - UInt64(Zip.zip64LocatorSize)
            let locator = try Self.pread(fd, path, at: locatorOffset, count: Zip.zip64LocatorSize)
            if let zip64Offset = try EndRecords.parseLocator(locator[...], at: locatorOffset) {
                guard zip64Offset + UInt64(Zip.zip64EndOfCentralDirectorySize) <= locatorOffset else {
                    throw ArchiveError(
                        .corrupt, "the ZIP64 locator points at offset \(zip64Offset), past the end records", offset: Int64(locatorOffset))
                }
                let record = try Self.pread(fd, path, at: zip64Offset, count: Zip.zip64EndOfCentralDirectorySize)
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

    private static func readDirectory(fd: Int32, path: String, end: EndOfCentralDirectory, fileSize: UInt64) throws -> [ArchiveEntry] {
        let bytes = try Self.pread(fd, path, at: end.directoryOffset, count: Int(end.directorySize))
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

    private static func pread(_ fd: Int32, _ path: String, at offset: UInt64, count: Int) throws(ArchiveError) -> [UInt8] {
        var failure: SystemError?
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            switch Result(catching: { () throws(SystemError) -> Int in
                try Syscall.preadFully(fd, UnsafeMutableRawBufferPointer(buffer), offset: Int64(offset), path: path)
            }) {
            case .success(let n): initialized = n
            case .failure(let error):
                failure = error
                initialized = 0
            }
        }
        if let failure { throw ArchiveError(failure) }
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
