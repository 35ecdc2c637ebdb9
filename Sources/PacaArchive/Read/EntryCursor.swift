/// Reads one entry's bytes front to back, as far as the caller asks: how a file put together from
/// segments takes runs of bytes out of an entry without decompressing it more than once.
///
/// Checks that the entry does not decompress past its declared size and, when read to its end,
/// its CRC-32. A cursor read only in part is checked by the SHA-256 of the file it builds.
final class EntryCursor {
    let archive: ArchiveReader
    let entry: ArchiveEntry
    private let start: UInt64
    private let inflater: Inflater?
    private let input: UnsafeMutableRawBufferPointer
    private var available = 0
    private var availableStart = 0
    private var consumed: UInt64 = 0
    private var isFinished = false
    private var crc = CRC32()
    /// Bytes of the entry's contents handed out (or skipped) so far.
    private(set) var position: UInt64 = 0

    init(_ entry: ArchiveEntry, in archive: ArchiveReader) throws(ArchiveError) {
        guard !entry.isEncrypted else {
            throw ArchiveError(.corrupt, "the entry is encrypted, which is not supported", entry: entry.path)
        }
        switch entry.method {
        case .stored:
            guard entry.compressedSize == entry.size else {
                throw ArchiveError(.corrupt, "a stored entry's sizes disagree", entry: entry.path)
            }
            inflater = nil
        case .deflated: inflater = try Inflater()
        case .other(let code):
            throw ArchiveError(.corrupt, "the entry uses compression method \(code), which is not supported", entry: entry.path)
        }
        self.archive = archive
        self.entry = entry
        start = try archive.dataOffset(of: entry)
        input = .allocate(byteCount: EntryStreamer.blockSize, alignment: 64)
    }

    deinit { input.deallocate() }

    /// Fills as much of `buffer` as the entry has left; 0 at its end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(ArchiveError) -> Int {
        let want = Int(min(UInt64(buffer.count), entry.size - position))
        guard want > 0 else { return 0 }
        let out = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want])
        let got: Int
        if let inflater {
            got = try inflate(into: out, with: inflater)
        } else {
            got = try archive.read(into: out, at: start + position)
            guard got == want else {
                throw ArchiveError(
                    .truncated, "the entry's data ends early", entry: entry.path, offset: Int64(start + position) + Int64(got))
            }
        }
        crc.update(UnsafeRawBufferPointer(rebasing: out[0..<got]))
        position += UInt64(got)
        if position == entry.size, crc.value != entry.crc32 {
            throw ArchiveError(.checksumMismatch, "CRC-32 mismatch in the entry's data", entry: entry.path, offset: Int64(start))
        }
        return got
    }

    /// Moves forward to `offset` of the entry's contents (never back), reading what lies between.
    func skip(to offset: UInt64, scratch: UnsafeMutableRawBufferPointer) throws(ArchiveError) {
        precondition(offset >= position, "an entry cursor moves forward only")
        while position < offset {
            let want = Int(min(UInt64(scratch.count), offset - position))
            guard try read(into: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<want])) > 0 else {
                throw ArchiveError(.truncated, "the entry ends before byte \(offset)", entry: entry.path)
            }
        }
    }

    private func inflate(into out: UnsafeMutableRawBufferPointer, with inflater: Inflater) throws(ArchiveError) -> Int {
        while true {
            if isFinished {
                throw ArchiveError(
                    .corrupt, "the entry decompresses to \(position) bytes, but its declared size is \(entry.size)", entry: entry.path)
            }
            if available == 0 {
                guard consumed < entry.compressedSize else {
                    throw ArchiveError(.corrupt, "the deflate stream ends without its final block", entry: entry.path)
                }
                let want = Int(min(UInt64(input.count), entry.compressedSize - consumed))
                available = try archive.read(into: UnsafeMutableRawBufferPointer(rebasing: input[0..<want]), at: start + consumed)
                availableStart = 0
                guard available == want else {
                    throw ArchiveError(.truncated, "the entry's data ends early", entry: entry.path, offset: Int64(start + consumed))
                }
            }
            let step: Inflater.Step
            do {
                step = try inflater.inflate(UnsafeRawBufferPointer(rebasing: input[availableStart..<availableStart + available]), into: out)
            } catch {
                throw error.at(entry: entry.path, offset: Int64(start + consumed))
            }
            available -= step.consumed
            availableStart += step.consumed
            consumed += UInt64(step.consumed)
            isFinished = step.isFinished
            if step.produced > 0 { return step.produced }
            if step.consumed == 0 && !isFinished {
                throw ArchiveError(.corrupt, "the deflate stream makes no progress", entry: entry.path, offset: Int64(start + consumed))
            }
        }
    }
}

/// A run of a file's bytes found in an open archive: `size` bytes of `entry` from `offset`.
struct ResolvedSegment {
    let archive: ArchiveReader
    let entry: ArchiveEntry
    let offset: UInt64
    let size: UInt64
}

/// Streams a file put together from segments, in order. An entry several segments come from is
/// decompressed once, front to back (segments of one entry come in increasing offsets, since a
/// file's unchanged parts keep their places).
enum SegmentStreamer {
    static func stream(_ segments: [ResolvedSegment], _ body: (UnsafeRawBufferPointer) throws(ArchiveError) -> Void) throws(ArchiveError) {
        struct Key: Hashable {
            let archive: ObjectIdentifier
            let entry: String
        }
        var cursors: [Key: EntryCursor] = [:]
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: EntryStreamer.blockSize, alignment: 64)
        defer { buffer.deallocate() }
        for segment in segments {
            guard segment.offset <= segment.entry.size, segment.size <= segment.entry.size - segment.offset else {
                throw ArchiveError(
                    .corrupt, "a segment reaches past the end of the entry (\(segment.entry.size) bytes)", entry: segment.entry.path)
            }
            let key = Key(archive: ObjectIdentifier(segment.archive), entry: segment.entry.path)
            var cursor: EntryCursor
            if let open = cursors[key], open.position <= segment.offset {
                cursor = open
            } else {
                cursor = try EntryCursor(segment.entry, in: segment.archive)
                cursors[key] = cursor
            }
            try cursor.skip(to: segment.offset, scratch: buffer)
            var left = segment.size
            while left > 0 {
                let got = try cursor.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<Int(min(UInt64(buffer.count), left))]))
                guard got > 0 else { throw ArchiveError(.truncated, "the entry ends inside a segment", entry: segment.entry.path) }
                try body(UnsafeRawBufferPointer(rebasing: buffer[0..<got]))
                left -= UInt64(got)
            }
        }
    }
}
