/// Small helpers for reading whole entries into memory.
enum ArchiveContents {
    /// The decompressed contents of `entry`, refusing entries larger than `limit` bytes.
    static func read(_ entry: ArchiveEntry, from archive: ArchiveReader, limit: UInt64) throws(ArchiveError) -> [UInt8] {
        guard entry.size <= limit else {
            throw ArchiveError(.corrupt, "the entry is \(entry.size) bytes, more than the \(limit) expected at most", entry: entry.path)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(entry.size))
        try EntryStreamer().stream(entry, from: archive) { block in bytes.append(contentsOf: block) }
        return bytes
    }
}
