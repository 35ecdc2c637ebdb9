import CZlib

/// One raw-deflate (`windowBits -15`, as ZIP stores it) compressor around a `z_stream`.
///
/// The stream lives at a stable heap address for its whole life (zlib keeps a pointer back to it)
/// and is released in `deinit`. A deflater is reused across pieces with ``reset()``, which is much
/// cheaper than a fresh `deflateInit2`. Not thread-safe: one per worker thread.
final class Deflater {
    private let stream: UnsafeMutablePointer<z_stream>
    let level: Int32

    /// `huffmanOnly` skips the search for repeated strings and only entropy-codes bytes: several
    /// times faster, and as small as full deflate on data such as float arrays, where repeats are rare.
    init(level: Int32, huffmanOnly: Bool = false) throws(ArchiveError) {
        self.level = level
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status = paca_deflateInit2(stream, level, -15, 8, huffmanOnly ? Z_HUFFMAN_ONLY : Z_DEFAULT_STRATEGY)
        guard status == Z_OK else {
            stream.deallocate()
            throw ArchiveError(.compression, "deflateInit2 failed with zlib status \(status)")
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
    }

    /// The most bytes deflating `count` input bytes can produce, including a sync-flush marker.
    func bound(_ count: Int) -> Int {
        Int(deflateBound(stream, uLong(count))) + 16
    }

    /// Returns the stream to its initial state, keeping its level and allocations.
    func reset() {
        deflateReset(stream)
    }

    /// Primes the window with the uncompressed bytes that precede this piece (pigz-style parallel deflate).
    func setDictionary(_ dictionary: UnsafeRawBufferPointer) throws(ArchiveError) {
        guard dictionary.count > 0 else { return }
        let status = deflateSetDictionary(stream, dictionary.baseAddress!.assumingMemoryBound(to: Bytef.self), uInt(dictionary.count))
        guard status == Z_OK else { throw ArchiveError(.compression, "deflateSetDictionary failed with zlib status \(status)") }
    }

    /// Compresses all of `input` into `output` and returns the number of bytes produced.
    ///
    /// `finish: true` ends the deflate stream (last piece); otherwise the output ends on a byte
    /// boundary with a sync flush, so the next piece's output can be appended to it directly.
    /// `output` must hold at least ``bound(_:)`` bytes.
    func compress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer, finish: Bool) throws(ArchiveError) -> Int {
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = uInt(output.count)
        let status = deflate(stream, finish ? Z_FINISH : Z_SYNC_FLUSH)
        let expected = finish ? Z_STREAM_END : Z_OK
        guard status == expected, stream.pointee.avail_in == 0 else {
            throw ArchiveError(.compression, "deflate stopped early with zlib status \(status)")
        }
        return output.count - Int(stream.pointee.avail_out)
    }
}
