/// Parsing of the records at the end of an archive that say where its central directory is.
enum EndRecords {
    /// The index in `tail` of the end of central directory record, searching backwards; a
    /// candidate counts only if its comment length fits exactly in what follows it.
    static func locate(in tail: [UInt8]) -> Int? {
        guard tail.count >= Zip.endOfCentralDirectorySize else { return nil }
        var index = tail.count - Zip.endOfCentralDirectorySize
        var loose: Int?
        while index >= 0 {
            if tail[index] == 0x50 && tail[index + 1] == 0x4b && tail[index + 2] == 0x05 && tail[index + 3] == 0x06 {
                let commentLength = Int(tail[index + 20]) | Int(tail[index + 21]) << 8
                let after = tail.count - index - Zip.endOfCentralDirectorySize
                if commentLength == after { return index }
                if loose == nil && commentLength <= after { loose = index }
            }
            index -= 1
        }
        return loose
    }

    static func parseClassic(_ bytes: ArraySlice<UInt8>, at offset: UInt64) throws(ArchiveError) -> EndOfCentralDirectory {
        var r = ByteReader(bytes, baseOffset: Int64(offset), what: "end of central directory record")
        _ = try r.u32()
        let disk = try r.u16()
        let directoryDisk = try r.u16()
        _ = try r.u16()
        let count = try r.u16()
        let size = try r.u32()
        let directoryOffset = try r.u32()
        guard disk == 0 || disk == 0xFFFF, directoryDisk == 0 || directoryDisk == 0xFFFF else {
            throw ArchiveError(.corrupt, "this is one part of a multi-disk (split) archive, which is not supported", offset: Int64(offset))
        }
        return EndOfCentralDirectory(entryCount: UInt64(count), directoryOffset: UInt64(directoryOffset), directorySize: UInt64(size))
    }

    /// The offset of the ZIP64 end record, or nil when `bytes` is not a ZIP64 locator.
    static func parseLocator(_ bytes: ArraySlice<UInt8>, at offset: UInt64) throws(ArchiveError) -> UInt64? {
        var r = ByteReader(bytes, baseOffset: Int64(offset), what: "ZIP64 end of central directory locator")
        guard try r.u32() == Zip.zip64LocatorSignature else { return nil }
        _ = try r.u32()
        return try r.u64()
    }

    static func parseZip64(_ bytes: ArraySlice<UInt8>, at offset: UInt64) throws(ArchiveError) -> EndOfCentralDirectory {
        var r = ByteReader(bytes, baseOffset: Int64(offset), what: "ZIP64 end of central directory record")
        guard try r.u32() == Zip.zip64EndOfCentralDirectorySignature else {
            throw ArchiveError(
                .corrupt, "the ZIP64 locator points at offset \(offset), where there is no ZIP64 end record", offset: Int64(offset))
        }
        try r.skip(8 + 2 + 2 + 4 + 4 + 8)
        let count = try r.u64()
        let size = try r.u64()
        let directoryOffset = try r.u64()
        return EndOfCentralDirectory(entryCount: count, directoryOffset: directoryOffset, directorySize: size)
    }
}
