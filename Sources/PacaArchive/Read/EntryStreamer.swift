/// Reads one entry's data and hands it out decompressed, in blocks, checking as it goes that it
/// decompresses to exactly the declared size and that its CRC-32 matches.
///
/// Holds one ``Inflater`` and two 256 KiB buffers: one per thread, reused across entries.
final class EntryStreamer {
    private let inflater: Inflater
    private let input: UnsafeMutableRawBufferPointer
    private let output: UnsafeMutableRawBufferPointer
    static let blockSize = 256 << 10

    init() throws(ArchiveError) {
        inflater = try Inflater()
        input = .allocate(byteCount: Self.blockSize, alignment: 64)
        output = .allocate(byteCount: Self.blockSize, alignment: 64)
    }

    deinit {
        input.deallocate()
        output.deallocate()
    }

    /// Streams `entry`'s contents from `archive` to `body`. Throws an ``ArchiveError`` naming the
    /// entry and offset on unsupported methods, truncation, bad deflate data, a size mismatch or a
    /// CRC mismatch; `body`'s own errors pass through.
    func stream(_ entry: ArchiveEntry, from archive: ArchiveReader, _ body: (UnsafeRawBufferPointer) throws(ArchiveError) -> Void)
        throws(ArchiveError)
    {
        guard !entry.isEncrypted else {
            throw ArchiveError(
                .corrupt, "the entry is encrypted, which is not supported", entry: entry.path, offset: Int64(entry.localHeaderOffset))
        }
        let start = try archive.dataOffset(of: entry)
        var crc = CRC32()
        switch entry.method {
        case .stored:
            guard entry.compressedSize == entry.size else {
                throw ArchiveError(
                    .corrupt, "a stored entry's sizes disagree (\(entry.compressedSize) stored, \(entry.size) declared)", entry: entry.path,
                    offset: Int64(entry.localHeaderOffset))
            }
            var done: UInt64 = 0
            while done < entry.size {
                let want = Int(min(UInt64(Self.blockSize), entry.size - done))
                let got = try archive.read(into: UnsafeMutableRawBufferPointer(rebasing: input[0..<want]), at: start + done)
                guard got == want else {
                    throw ArchiveError(
                        .truncated, "the entry's data ends early", entry: entry.path, offset: Int64(start + done) + Int64(got))
                }
                let block = UnsafeRawBufferPointer(rebasing: input[0..<got])
                crc.update(block)
                try body(block)
                done += UInt64(got)
            }
        case .deflated:
            try inflate(entry, from: archive, start: start, crc: &crc, body)
        case .other(let code):
            throw ArchiveError(
                .corrupt, "the entry uses compression method \(code), which is not supported (only stored and deflate)", entry: entry.path,
                offset: Int64(entry.localHeaderOffset))
        }
        guard crc.value == entry.crc32 else {
            throw ArchiveError(
                .checksumMismatch, "CRC-32 mismatch: the data gives \(hex(crc.value)), the archive says \(hex(entry.crc32))",
                entry: entry.path, offset: Int64(start))
        }
    }

    private func inflate(
        _ entry: ArchiveEntry, from archive: ArchiveReader, start: UInt64, crc: inout CRC32,
        _ body: (UnsafeRawBufferPointer) throws(ArchiveError) -> Void
    ) throws(ArchiveError) {
        inflater.reset()
        var consumed: UInt64 = 0
        var produced: UInt64 = 0
        var available = 0
        var availableStart = 0
        var finished = false
        while !finished {
            if available == 0 {
                guard consumed < entry.compressedSize else {
                    throw ArchiveError(
                        .corrupt, "the deflate stream ends without its final block", entry: entry.path, offset: Int64(start + consumed))
                }
                let want = Int(min(UInt64(Self.blockSize), entry.compressedSize - consumed))
                available = try archive.read(into: UnsafeMutableRawBufferPointer(rebasing: input[0..<want]), at: start + consumed)
                availableStart = 0
                guard available == want else {
                    throw ArchiveError(
                        .truncated, "the entry's data ends early", entry: entry.path, offset: Int64(start + consumed) + Int64(available))
                }
            }
            let step: Inflater.Step
            do {
                step = try inflater.inflate(
                    UnsafeRawBufferPointer(rebasing: input[availableStart..<availableStart + available]), into: output)
            } catch {
                throw error.at(entry: entry.path, offset: Int64(start + consumed))
            }
            available -= step.consumed
            availableStart += step.consumed
            consumed += UInt64(step.consumed)
            finished = step.isFinished
            if step.produced > 0 {
                produced += UInt64(step.produced)
                guard produced <= entry.size else {
                    throw ArchiveError(
                        .corrupt, "the entry decompresses to more than its declared \(entry.size) bytes", entry: entry.path,
                        offset: Int64(start + consumed))
                }
                let block = UnsafeRawBufferPointer(rebasing: output[0..<step.produced])
                crc.update(block)
                try body(block)
            } else if step.consumed == 0 && !finished {
                throw ArchiveError(.corrupt, "the deflate stream makes no progress", entry: entry.path, offset: Int64(start + consumed))
            }
        }
        guard produced == entry.size else {
            throw ArchiveError(
                .corrupt, "the entry decompresses to \(produced) bytes, but its declared size is \(entry.size)", entry: entry.path,
                offset: Int64(start))
        }
    }

    private func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}
