/// Walks an archive's central directory one entry at a time, reading it in blocks of at most
/// ``blockSize`` bytes: memory stays flat however many entries the archive has. Checks what
/// ``ArchiveReader`` checks when it reads the directory whole (each header, each local header
/// offset before the directory, the entry count the end record gives).
struct CentralDirectoryCursor {
    static let blockSize = 1 << 20
    /// A central header's fixed part; its name, extra field and comment follow.
    private static let fixedSize = 46

    private let archive: ArchiveReader
    private var buffer: [UInt8] = []
    private var position = 0
    /// Archive offset of `buffer[0]`.
    private var bufferOffset: UInt64
    private let directoryEnd: UInt64
    /// Entries read so far.
    private(set) var count = 0

    init(_ archive: ArchiveReader) {
        self.archive = archive
        bufferOffset = archive.end.directoryOffset
        directoryEnd = archive.end.directoryOffset + archive.end.directorySize
    }

    /// The next entry, or nil after the last (having checked the count).
    mutating func next() throws(ArchiveError) -> ArchiveEntry? {
        let start = bufferOffset + UInt64(position)
        guard start < directoryEnd else {
            guard UInt64(count) == archive.end.entryCount else {
                throw ArchiveError(
                    .corrupt, "the central directory holds \(count) entries but the end record says \(archive.end.entryCount)",
                    offset: Int64(archive.end.directoryOffset))
            }
            return nil
        }
        try fill(Self.fixedSize)
        // The name, extra field and comment lengths (little-endian 16-bit) at offsets 28, 30 and 32.
        let names = (0..<3).reduce(0) { total, field in
            total + (Int(buffer[position + 28 + 2 * field]) | Int(buffer[position + 29 + 2 * field]) << 8)
        }
        try fill(Self.fixedSize + names)
        var reader = ByteReader(buffer[position..<position + Self.fixedSize + names], baseOffset: Int64(start), what: "central directory")
        let entry = try CentralHeaderParser.parse(&reader, index: count)
        guard entry.localHeaderOffset < archive.end.directoryOffset else {
            throw ArchiveError(
                .corrupt, "its local header offset \(entry.localHeaderOffset) is past the start of the central directory",
                entry: entry.path, offset: Int64(start))
        }
        position += Self.fixedSize + names
        count += 1
        return entry
    }

    /// Makes sure `needed` bytes from `position` are in the buffer, reading the next block.
    private mutating func fill(_ needed: Int) throws(ArchiveError) {
        guard buffer.count - position < needed else { return }
        let start = bufferOffset + UInt64(position)
        guard start + UInt64(needed) <= directoryEnd else {
            throw ArchiveError(.truncated, "the central directory is cut short", offset: Int64(start))
        }
        let want = Int(min(UInt64(max(needed, Self.blockSize)), directoryEnd - start))
        let bytes = try ArchiveReader.read(archive.source, at: start, count: want)
        guard bytes.count >= needed else { throw ArchiveError(.truncated, "the central directory is cut short", offset: Int64(start)) }
        buffer = bytes
        bufferOffset = start
        position = 0
    }
}
