import PacaSystem

/// Everything the writer knows about an entry once its data is written: enough to encode the
/// local header, the data descriptor and the central directory header.
struct EntryRecord {
    var name: [UInt8]
    var kind: ArchiveEntry.Kind
    var mode: UInt32
    var modificationTime: Int64
    var uid: UInt32
    var gid: UInt32
    var method: CompressionMethod
    var crc32: UInt32 = 0
    var compressedSize: UInt64 = 0
    var size: UInt64 = 0
    var localHeaderOffset: UInt64 = 0
    /// CRC and sizes follow the data (bit 3), because the data was streamed in pieces.
    var usesDataDescriptor: Bool
    /// The local header carries a ZIP64 extra (and the data descriptor 8-byte sizes).
    var hasLocalZip64: Bool

    private var unixFileType: UInt32 { kind.unixFileType }

    private var flags: UInt16 {
        var flags: UInt16 = 0
        if usesDataDescriptor { flags |= Zip.flagDataDescriptor }
        // Bit 11 says the name is UTF-8; a name that is not (NameBytes) is written raw without it,
        // and unzip gives back the same bytes.
        if name.contains(where: { $0 >= 0x80 }) && String(validating: name, as: UTF8.self) != nil { flags |= Zip.flagUTF8 }
        return flags
    }

    private var versionNeeded: UInt16 {
        method == .deflated ? Zip.versionDeflated : Zip.versionStored
    }

    private var clampedTime: UInt32 {
        UInt32(bitPattern: Int32(clamping: modificationTime))
    }

    private func timestampExtra(into w: inout ByteWriter) {
        w.u16(Zip.extraTimestamp)
        w.u16(5)
        w.u8(1)  // flags: modification time present
        w.u32(clampedTime)
    }

    private func ownerExtra(into w: inout ByteWriter) {
        w.u16(Zip.extraUnixOwner)
        w.u16(11)
        w.u8(1)  // version
        w.u8(4)
        w.u32(uid)
        w.u8(4)
        w.u32(gid)
    }

    /// The local file header, with the name and extra fields.
    func localHeader() -> [UInt8] {
        var w = ByteWriter(capacity: Zip.localHeaderSize + name.count + 48)
        let dos = DOSDateTime(unixTime: modificationTime)
        w.u32(Zip.localHeaderSignature)
        w.u16(hasLocalZip64 ? Zip.versionZip64 : versionNeeded)
        w.u16(flags)
        w.u16(method.code)
        w.u16(dos.time)
        w.u16(dos.date)
        if usesDataDescriptor {
            w.u32(0)
            w.u32(hasLocalZip64 ? Zip.overflow32 : 0)
            w.u32(hasLocalZip64 ? Zip.overflow32 : 0)
        } else {
            w.u32(crc32)
            w.u32(hasLocalZip64 ? Zip.overflow32 : UInt32(compressedSize))
            w.u32(hasLocalZip64 ? Zip.overflow32 : UInt32(size))
        }
        w.u16(UInt16(name.count))
        w.u16(UInt16((hasLocalZip64 ? 20 : 0) + 9 + 15))
        w.append(name)
        if hasLocalZip64 {
            w.u16(Zip.extraZip64)
            w.u16(16)
            w.u64(usesDataDescriptor ? 0 : size)
            w.u64(usesDataDescriptor ? 0 : compressedSize)
        }
        timestampExtra(into: &w)
        ownerExtra(into: &w)
        return w.bytes
    }

    /// The data descriptor that follows streamed data; sizes are 8 bytes when the local header has ZIP64.
    func dataDescriptor() -> [UInt8] {
        var w = ByteWriter(capacity: 24)
        w.u32(Zip.dataDescriptorSignature)
        w.u32(crc32)
        if hasLocalZip64 {
            w.u64(compressedSize)
            w.u64(size)
        } else {
            w.u32(UInt32(compressedSize))
            w.u32(UInt32(size))
        }
        return w.bytes
    }

    /// The central directory header; ZIP64 fields appear only for values that do not fit 32 bits.
    func centralHeader() -> [UInt8] {
        var zip64 = ByteWriter(capacity: 28)
        let sizeOverflows = size >= UInt64(Zip.overflow32)
        let compressedOverflows = compressedSize >= UInt64(Zip.overflow32)
        let offsetOverflows = localHeaderOffset >= UInt64(Zip.overflow32)
        if sizeOverflows { zip64.u64(size) }
        if compressedOverflows { zip64.u64(compressedSize) }
        if offsetOverflows { zip64.u64(localHeaderOffset) }
        let needsZip64 = !zip64.bytes.isEmpty

        var w = ByteWriter(capacity: Zip.centralHeaderSize + name.count + 64)
        let dos = DOSDateTime(unixTime: modificationTime)
        w.u32(Zip.centralHeaderSignature)
        w.u16(Zip.versionMadeBy)
        w.u16(needsZip64 || hasLocalZip64 ? Zip.versionZip64 : versionNeeded)
        w.u16(flags)
        w.u16(method.code)
        w.u16(dos.time)
        w.u16(dos.date)
        w.u32(crc32)
        w.u32(compressedOverflows ? Zip.overflow32 : UInt32(compressedSize))
        w.u32(sizeOverflows ? Zip.overflow32 : UInt32(size))
        w.u16(UInt16(name.count))
        w.u16(UInt16((needsZip64 ? 4 + zip64.bytes.count : 0) + 9 + 15))
        w.u16(0)  // comment length
        w.u16(0)  // disk number start
        w.u16(0)  // internal attributes
        let dosAttributes: UInt32 = kind == .directory ? Zip.dosDirectoryAttribute : 0
        w.u32((unixFileType | (mode & 0o7777)) << 16 | dosAttributes)
        w.u32(offsetOverflows ? Zip.overflow32 : UInt32(localHeaderOffset))
        w.append(name)
        if needsZip64 {
            w.u16(Zip.extraZip64)
            w.u16(UInt16(zip64.bytes.count))
            w.append(zip64.bytes)
        }
        timestampExtra(into: &w)
        ownerExtra(into: &w)
        return w.bytes
    }
}
