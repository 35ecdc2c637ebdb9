import PacaSystem

/// Decodes one central directory header into an ``ArchiveEntry``, applying the ZIP64, Info-ZIP
/// timestamp ("UT") and Unix owner ("ux") extra fields.
enum CentralHeaderParser {
    static func parse(_ r: inout ByteReader, index: Int) throws(ArchiveError) -> ArchiveEntry {
        let start = r.offset
        guard try r.u32() == Zip.centralHeaderSignature else {
            throw ArchiveError(.corrupt, "central directory entry \(index + 1) has no header signature", offset: start)
        }
        let madeBy = try r.u16()
        _ = try r.u16()  // version needed
        let flags = try r.u16()
        let method = CompressionMethod(code: try r.u16())
        let dos = DOSDateTime(time: try r.u16(), date: try r.u16())
        let crc = try r.u32()
        var compressedSize = UInt64(try r.u32())
        var size = UInt64(try r.u32())
        let nameLength = Int(try r.u16())
        let extraLength = Int(try r.u16())
        let commentLength = Int(try r.u16())
        _ = try r.u16()  // disk number start
        _ = try r.u16()  // internal attributes
        let external = try r.u32()
        var offset = UInt64(try r.u32())
        let nameBytes = try r.bytes(nameLength)
        var name = NameBytes.string(nameBytes)
        let extra = try r.bytes(extraLength)
        try r.skip(commentLength)

        var mtime = dos.unixTime
        var uid: UInt32?
        var gid: UInt32?
        var fields = ByteReader(extra, baseOffset: start, what: "extra field of \"\(name)\"")
        while fields.remaining >= 4 {
            let id = try fields.u16()
            let length = Int(try fields.u16())
            guard fields.remaining >= length else {
                throw ArchiveError(
                    .corrupt, "an extra field claims \(length) bytes but only \(fields.remaining) remain", entry: name,
                    offset: fields.offset)
            }
            var field = ByteReader(try fields.bytes(length), baseOffset: fields.offset, what: "extra field of \"\(name)\"")
            switch id {
            case Zip.extraZip64:
                if size == UInt64(Zip.overflow32) { size = try field.u64() }
                if compressedSize == UInt64(Zip.overflow32) { compressedSize = try field.u64() }
                if offset == UInt64(Zip.overflow32) { offset = try field.u64() }
            case Zip.extraTimestamp where length >= 5:
                if try field.u8() & 1 != 0 { mtime = Int64(Int32(bitPattern: try field.u32())) }
            case Zip.extraUnixOwner where length >= 3:
                if try field.u8() == 1 {
                    uid = try Self.readID(&field)
                    gid = try Self.readID(&field)
                }
            default:
                break
            }
        }

        let isUnix = madeBy >> 8 == 3
        let unixMode = isUnix ? external >> 16 : 0
        let kind: ArchiveEntry.Kind
        switch unixMode & 0o170000 {
        case 0o120000: kind = .symlink
        case 0o040000: kind = .directory
        case 0o010000: kind = .fifo
        case 0o140000: kind = .socket
        case 0o020000: kind = .characterDevice
        case 0o060000: kind = .blockDevice
        default: kind = name.hasSuffix("/") || external & Zip.dosDirectoryAttribute != 0 ? .directory : .file
        }
        while name.hasSuffix("/") { name.removeLast() }
        let mode = unixMode & 0o7777 != 0 ? unixMode & 0o7777 : (kind == .directory ? 0o755 : 0o644)
        return ArchiveEntry(
            path: name, kind: kind, mode: mode, modificationTime: mtime, uid: uid, gid: gid, method: method,
            crc32: crc, compressedSize: compressedSize, size: size, localHeaderOffset: offset, flags: flags)
    }

    private static func readID(_ field: inout ByteReader) throws(ArchiveError) -> UInt32? {
        let size = Int(try field.u8())
        switch size {
        case 2: return UInt32(try field.u16())
        case 4: return try field.u32()
        default:
            try field.skip(size)
            return nil
        }
    }
}
