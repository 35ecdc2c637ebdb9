/// Where the central directory is and how many entries it holds, from the end of the archive.
struct EndOfCentralDirectory: Equatable {
    var entryCount: UInt64
    var directoryOffset: UInt64
    var directorySize: UInt64

    /// True when a count, size or offset needs the ZIP64 end records.
    var needsZip64: Bool {
        entryCount >= UInt64(Zip.overflow16) || directoryOffset >= UInt64(Zip.overflow32)
            || directorySize >= UInt64(Zip.overflow32)
    }

    /// The closing records: ZIP64 end record and locator when needed, then the classic end record.
    /// `position` is the archive offset at which these bytes will be written.
    func encoded(at position: UInt64) -> [UInt8] {
        var w = ByteWriter(capacity: 100)
        if needsZip64 {
            w.u32(Zip.zip64EndOfCentralDirectorySignature)
            w.u64(UInt64(Zip.zip64EndOfCentralDirectorySize - 12))
            w.u16(Zip.versionMadeBy)
            w.u16(Zip.versionZip64)
            w.u32(0)  // this disk
            w.u32(0)  // disk with the central directory
            w.u64(entryCount)
            w.u64(entryCount)
            w.u64(directorySize)
            w.u64(directoryOffset)
            w.u32(Zip.zip64LocatorSignature)
            w.u32(0)
            w.u64(position)
            w.u32(1)  // total disks
        }
        w.u32(Zip.endOfCentralDirectorySignature)
        w.u16(0)
        w.u16(0)
        let count16 = entryCount >= UInt64(Zip.overflow16) ? Zip.overflow16 : UInt16(entryCount)
        w.u16(count16)
        w.u16(count16)
        w.u32(directorySize >= UInt64(Zip.overflow32) ? Zip.overflow32 : UInt32(directorySize))
        w.u32(directoryOffset >= UInt64(Zip.overflow32) ? Zip.overflow32 : UInt32(directoryOffset))
        w.u16(0)  // comment length
        return w.bytes
    }
}
