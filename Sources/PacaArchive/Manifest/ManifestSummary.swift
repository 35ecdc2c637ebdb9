/// What a catalog record takes from an archive's manifest: its header and the totals of its
/// entries. Read one entry at a time from an archive pacad wrote, so a rebuild of a target of
/// archives with millions of files never holds a manifest whole.
public struct ManifestSummary: Sendable, Equatable {
    public var backupID: String
    public var setName: String?
    public var createdAt: String
    public var parent: String?
    /// Files of the tree (parts are not).
    public var files = 0
    /// Bytes of the tree's files (the manifest's own total).
    public var bytes: UInt64 = 0
    /// Bytes of files whose bytes this archive holds.
    public var bytesHeld: UInt64 = 0
    /// Files whose bytes are all in other backups' archives, and those bytes.
    public var filesReferenced = 0
    public var bytesReferenced: UInt64 = 0
    /// Backups whose archives hold files of this one.
    public var referencedBackups: [String] = []

    /// The summary of a manifest held whole.
    public init(_ manifest: Manifest) {
        backupID = manifest.backupID
        setName = manifest.setName
        createdAt = manifest.createdAt
        parent = manifest.parent
        bytes = manifest.bytes
        for entry in manifest.entries { add(entry) }
        referencedBackups = manifest.referencedBackups
    }

    private init(_ header: ManifestLines.Header) {
        backupID = header.backupID
        setName = header.setName
        createdAt = header.createdAt ?? ""
        parent = header.parent
    }

    private mutating func add(_ entry: Manifest.Entry) {
        guard entry.type == .file else { return }
        if entry.isHeldHere { bytesHeld += entry.size }
        guard !entry.isPart else { return }
        files += 1
        if let segments = entry.segments {
            if segments.allSatisfy({ $0.holder != nil }) { filesReferenced += 1 }
            bytesReferenced += segments.filter { $0.holder != nil }.reduce(0) { $0 + $1.size }
        } else if entry.holder != nil {
            filesReferenced += 1
            bytesReferenced += entry.size
        }
    }

    /// The summary of `archive`'s manifest and the manifest's SHA-256: streamed when pacad laid
    /// it out one entry per line, read whole otherwise.
    public static func read(_ archive: ArchiveReader) throws(ArchiveError) -> (summary: ManifestSummary, sha256: String) {
        guard let manifestEntry = try StreamedExtraction.manifestEntry(of: archive) else {
            throw ArchiveError(.notFound, "the archive has no manifest (\(Manifest.entryPath))")
        }
        guard let lines = try ManifestLines(manifestEntry, in: archive) else {
            let (manifest, sha256) = try ArchiveReader(source: archive.source).manifestWithDigest()
            return (ManifestSummary(manifest), sha256)
        }
        var summary = ManifestSummary(lines.header)
        var holders = Set<String>()
        while let entry = try lines.next() {
            summary.add(entry)
            holders.formUnion(entry.holders)
        }
        guard let trailer = lines.trailer, let sha256 = lines.sha256 else {
            throw ArchiveError(.corrupt, "the manifest ends before its closing line", entry: Manifest.entryPath)
        }
        summary.bytes = trailer.bytes ?? summary.bytesHeld + summary.bytesReferenced
        summary.referencedBackups = holders.union(trailer.references ?? []).sorted()
        return (summary, sha256)
    }
}
