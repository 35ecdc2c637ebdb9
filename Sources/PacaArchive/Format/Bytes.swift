/// Appends little-endian integers and raw bytes to a growing buffer (ZIP is little-endian throughout).
struct ByteWriter {
    private(set) var bytes: [UInt8]

    init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    mutating func u8(_ value: UInt8) { bytes.append(value) }

    mutating func u16(_ value: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: value))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
    }

    mutating func u32(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    mutating func u64(_ value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    mutating func append<S: Sequence>(_ other: S) where S.Element == UInt8 { bytes.append(contentsOf: other) }
}

/// Reads little-endian integers from a byte slice with bounds checks; running off the end throws.
struct ByteReader {
    let bytes: ArraySlice<UInt8>
    private(set) var position: Int
    /// Offset of `bytes.startIndex` in the archive, for error messages.
    let baseOffset: Int64
    let what: String

    init(_ bytes: ArraySlice<UInt8>, baseOffset: Int64, what: String) {
        self.bytes = bytes
        self.position = bytes.startIndex
        self.baseOffset = baseOffset
        self.what = what
    }

    var remaining: Int { bytes.endIndex - position }
    var offset: Int64 { baseOffset + Int64(position - bytes.startIndex) }

    private mutating func take(_ count: Int) throws(ArchiveError) -> ArraySlice<UInt8> {
        guard count >= 0, remaining >= count else {
            throw ArchiveError(.corrupt, "\(what) is cut short: needs \(count) more bytes, has \(remaining)", offset: offset)
        }
        defer { position += count }
        return bytes[position..<position + count]
    }

    mutating func u8() throws(ArchiveError) -> UInt8 { try take(1).first! }

    mutating func u16() throws(ArchiveError) -> UInt16 {
        let s = try take(2)
        return UInt16(s[s.startIndex]) | UInt16(s[s.startIndex + 1]) << 8
    }

    mutating func u32() throws(ArchiveError) -> UInt32 {
        let s = try take(4)
        var value: UInt32 = 0
        for (i, byte) in s.enumerated() { value |= UInt32(byte) << UInt32(8 * i) }
        return value
    }

    mutating func u64() throws(ArchiveError) -> UInt64 {
        let s = try take(8)
        var value: UInt64 = 0
        for (i, byte) in s.enumerated() { value |= UInt64(byte) << UInt64(8 * i) }
        return value
    }

    mutating func bytes(_ count: Int) throws(ArchiveError) -> ArraySlice<UInt8> { try take(count) }

    mutating func skip(_ count: Int) throws(ArchiveError) { _ = try take(count) }
}
