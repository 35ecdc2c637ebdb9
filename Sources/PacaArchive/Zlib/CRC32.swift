import CZlib

/// CRC-32 as ZIP uses it (zlib's `crc32`, IEEE polynomial), with `combine` for parallel pieces.
struct CRC32: Sendable, Equatable {
    private(set) var value: UInt32 = 0

    init() {}

    init(of bytes: UnsafeRawBufferPointer) {
        update(bytes)
    }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var base = bytes.baseAddress?.assumingMemoryBound(to: Bytef.self) else { return }
        var remaining = bytes.count
        var crc = uLong(value)
        while remaining > 0 {
            let step = min(remaining, Int(UInt32.max >> 1))
            crc = crc32(crc, base, uInt(step))
            base += step
            remaining -= step
        }
        value = UInt32(truncatingIfNeeded: crc)
    }

    /// Appends the CRC of a following piece of `length` bytes whose own CRC is `next`.
    mutating func append(_ next: UInt32, length: Int64) {
        value = UInt32(truncatingIfNeeded: crc32_combine(uLong(value), uLong(next), Int(length)))
    }
}
