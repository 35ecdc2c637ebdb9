import PacaSystem

/// How an entry's bytes are encoded, chosen per entry by ``CompressibilityProbe``.
enum Encoding: Sendable {
    /// Stored as is: the data does not compress.
    case store
    /// Deflate with Huffman coding only: repeats are rare, but byte frequencies are skewed.
    case huffman
    /// Full deflate at the configured level.
    case deflate

    var method: CompressionMethod { self == .store ? .stored : .deflated }
}

/// The work a compressor thread does on one unit: CRC-32 always; for file data, deflate (full or
/// Huffman-only, as the probe chose) unless the data does not compress, in which case it is stored.
///
/// One per compressor thread (it owns two zlib streams). Pieces of one large file are compressed
/// independently, each primed with the 32 KiB before it, and end on a sync flush, so their
/// outputs concatenate into one valid deflate stream (the technique pigz uses).
final class PieceCompressor {
    private let deflater: Deflater?
    private let huffman: Deflater
    private let probe: CompressibilityProbe

    init(level: Int) throws(ArchiveError) {
        deflater = level > 0 ? try Deflater(level: Int32(level)) : nil
        huffman = try Deflater(level: 1, huffmanOnly: true)
        probe = try CompressibilityProbe()
    }

    /// A compressor thread's body: takes units until the queue closes or fails.
    static func serve(_ queue: WorkQueue, level: Int) {
        let compressor: PieceCompressor
        do { compressor = try PieceCompressor(level: level) } catch {
            queue.fail(error)
            return
        }
        while let (sequence, unit) = queue.takeWork() {
            do { try compressor.process(unit) } catch {
                queue.fail(error.at(entry: unit.entry.sourcePath))
                return
            }
            queue.finish(sequence)
        }
    }

    func process(_ unit: WorkUnit) throws(ArchiveError) {
        unit.crc32 = unit.input.withUnsafeBytes { CRC32(of: $0).value }
        switch unit.shape {
        case .whole:
            guard deflater != nil, unit.entry.record.kind == .file, !unit.input.isEmpty else {
                unit.encoding = .store
                return
            }
            unit.encoding = probe.encoding(for: unit.input)
            guard let stream = stream(for: unit.encoding) else { return }
            stream.reset()
            let output = try compress(unit.input, dictionary: [], with: stream, finish: true)
            if output.count < unit.input.count {
                unit.output = output
            } else {
                unit.encoding = .store
            }
        case .piece(let index, let isLast):
            guard let stream = stream(for: unit.encoding) else { return }
            stream.reset()
            let dictionary = index > 0 && unit.encoding == .deflate ? unit.dictionary : []
            unit.output = try compress(unit.input, dictionary: dictionary, with: stream, finish: isLast)
        case .manifestOnly, .carried:
            return
        }
    }

    private func stream(for encoding: Encoding) -> Deflater? {
        switch encoding {
        case .store: nil
        case .huffman: huffman
        case .deflate: deflater
        }
    }

    private func compress(_ input: [UInt8], dictionary: [UInt8], with deflater: Deflater, finish: Bool) throws(ArchiveError) -> [UInt8] {
        if !dictionary.isEmpty {
            try dictionary.withBytes { (raw) throws(ArchiveError) in try deflater.setDictionary(raw) }
        }
        let bound = deflater.bound(input.count)
        var failure: ArchiveError?
        let output = [UInt8](unsafeUninitializedCapacity: bound) { buffer, count in
            let result = Result { () throws(ArchiveError) -> Int in
                try input.withBytes { (raw) throws(ArchiveError) -> Int in
                    try deflater.compress(raw, into: UnsafeMutableRawBufferPointer(buffer), finish: finish)
                }
            }
            switch result {
            case .success(let produced): count = produced
            case .failure(let error):
                failure = error
                count = 0
            }
        }
        if let failure { throw failure }
        return output
    }
}

/// Decides cheaply how to encode data: a few 8 KiB samples are compressed at level 1, with and
/// without string matching. Data that shrinks by less than 5% is stored (checkpoints, archives,
/// media); data where Huffman coding alone does nearly as well as full deflate (float arrays) is
/// Huffman-coded, several times faster; the rest is deflated. Costs well under a millisecond per
/// decision, whatever the size of the data.
///
/// Samples come from across the data, not its start: a checkpoint opens with a compressible
/// header (a safetensors JSON header, a pickle preamble) before hundreds of megabytes that are not.
final class CompressibilityProbe {
    private let deflater: Deflater
    private let huffman: Deflater
    private let scratch: UnsafeMutableRawBufferPointer
    static let sampleSize = 8 << 10
    /// Data smaller than this is simply compressed: the probe would cost as much.
    static let minimumSize = 32 << 10

    init() throws(ArchiveError) {
        deflater = try Deflater(level: 1)
        huffman = try Deflater(level: 1, huffmanOnly: true)
        scratch = .allocate(byteCount: deflater.bound(Self.sampleSize), alignment: 16)
    }

    deinit { scratch.deallocate() }

    /// Judges data held in memory by samples at 1/6, 3/6 and 5/6 of it.
    func encoding(for data: [UInt8]) -> Encoding {
        guard data.count >= Self.minimumSize else { return .deflate }
        return data.withUnsafeBytes { raw in
            let offsets = [1, 3, 5].map { (raw.count - Self.sampleSize) * $0 / 6 }
            return judge(offsets.map { UnsafeRawBufferPointer(rebasing: raw[$0..<$0 + Self.sampleSize]) })
        }
    }

    /// Judges a file of `size` bytes by samples read at 1/8, 3/8, 5/8 and 7/8 of it.
    func encoding(fileDescriptor fd: Int32, size: Int64, path: String) -> Encoding {
        guard size >= Int64(Self.minimumSize) else { return .deflate }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 * Self.sampleSize, alignment: 16)
        defer { buffer.deallocate() }
        var samples: [UnsafeRawBufferPointer] = []
        for (i, eighth) in [1, 3, 5, 7].enumerated() {
            let slot = UnsafeMutableRawBufferPointer(rebasing: buffer[i * Self.sampleSize..<(i + 1) * Self.sampleSize])
            let offset = (size - Int64(Self.sampleSize)) * Int64(eighth) / 8
            guard let n = try? Syscall.preadFully(fd, slot, offset: offset, path: path), n == Self.sampleSize else { return .deflate }
            samples.append(UnsafeRawBufferPointer(slot))
        }
        return judge(samples)
    }

    private func judge(_ samples: [UnsafeRawBufferPointer]) -> Encoding {
        let input = samples.reduce(0) { $0 + $1.count }
        let deflated = compressedSize(samples, with: deflater)
        if deflated * 100 >= input * 95 { return .store }
        let huffmanCoded = compressedSize(samples, with: huffman)
        return huffmanCoded * 100 <= deflated * 102 ? .huffman : .deflate
    }

    private func compressedSize(_ samples: [UnsafeRawBufferPointer], with stream: Deflater) -> Int {
        samples.reduce(0) { total, sample in
            stream.reset()
            return total + ((try? stream.compress(sample, into: scratch, finish: true)) ?? sample.count)
        }
    }
}
