import CZlib

/// One raw-inflate stream around a `z_stream`, fed piece by piece.
///
/// Like ``Deflater`` it keeps its `z_stream` at a stable heap address, frees it in `deinit`, and is
/// reused with ``reset()``. Not thread-safe: one per worker thread.
final class Inflater {
    private let stream: UnsafeMutablePointer<z_stream>

    init() throws(ArchiveError) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status = paca_inflateInit2(stream, -15)
        guard status == Z_OK else {
            stream.deallocate()
            throw ArchiveError(.compression, "inflateInit2 failed with zlib status \(status)")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    func reset() {
        inflateReset(stream)
    }

    /// The outcome of one ``inflate(_:into:)`` step.
    struct Step {
        /// Input bytes consumed.
        var consumed: Int
        /// Output bytes produced.
        var produced: Int
        /// True once the deflate stream's final block has been decoded.
        var isFinished: Bool
    }

    /// Decompresses as much of `input` as fits into `output`.
    ///
    /// Throws ``ArchiveError/Code/corrupt`` when the data is not valid deflate; the caller adds
    /// which entry and offset it was reading.
    func inflate(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws(ArchiveError) -> Step {
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = uInt(output.count)
        let status = CZlib.inflate(stream, Z_NO_FLUSH)
        switch status {
        case Z_OK, Z_STREAM_END, Z_BUF_ERROR:
            return Step(
                consumed: input.count - Int(stream.pointee.avail_in),
                produced: output.count - Int(stream.pointee.avail_out),
                isFinished: status == Z_STREAM_END
            )
        default:
            let detail = stream.pointee.msg.map { String(cString: $0) } ?? "zlib status \(status)"
            throw ArchiveError(.corrupt, "invalid deflate data (\(detail))")
        }
    }
}
