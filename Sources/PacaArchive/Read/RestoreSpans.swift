/// What of a backup's archives a restore limited to one user may read: for its own archive and
/// each archive it takes files from, the ``ReadableSpans`` that hold the structure, the manifest
/// and the entries the user could have read (``ReaderScope``: the same decision the extractor
/// makes, so every byte it asks for of a permitted entry is served and no other entry's is).
public enum RestoreSpans {
    /// The spans of the archive `own` holds (key `ownID`) and of the `references`: streamed for an
    /// archive in pacad's layout (memory grows with its folders, not its files), computed from
    /// the whole directory and manifest otherwise.
    public static func compute(
        ownID: String, source own: any ArchiveByteSource, references: [String: ArchiveReader], limit: ReaderLimit,
        manifestSha256: String? = nil
    ) throws(ArchiveError) -> [String: ReadableSpans] {
        let streamed = try ArchiveReader(source: own, readingDirectory: false)
        if let spans = try streamedSpans(
            ownID: ownID, own: streamed, references: references, limit: limit, manifestSha256: manifestSha256)
        {
            return spans
        }
        return try compute(
            ownID: ownID, own: try ArchiveReader(source: own), references: references, limit: limit, manifestSha256: manifestSha256)
    }

    /// Three passes: the directory (every entry's offset, the manifest, the parts), the manifest
    /// alone (its folders, the first names of hard links, its digest), and both side by side
    /// (what the limit permits). Nil when the entries do not pair with the manifest's lines.
    static func streamedSpans(
        ownID: String, own: ArchiveReader, references: [String: ArchiveReader], limit: ReaderLimit, manifestSha256: String?
    ) throws(ArchiveError) -> [String: ReadableSpans]? {
        var starts: [UInt64] = []
        var manifestEntry: ArchiveEntry?
        var parts: [String: ArchiveEntry] = [:]
        var cursor = own.directoryCursor()
        while let entry = try cursor.next() {
            starts.append(entry.localHeaderOffset)
            if entry.path == Manifest.entryPath { manifestEntry = entry }
            if PartLayout.isPartPath(entry.path) { parts[entry.path] = entry }
        }
        guard let manifestEntry else { return nil }
        starts.sort()

        var folders: [Manifest.Entry] = []
        var linkFirsts = Set<String>()
        var digest: String?
        do throws(ArchiveError) {
            guard let lines = try ManifestLines(manifestEntry, in: own) else { return nil }
            while let line = try lines.next() {
                if line.type == .directory { folders.append(line) }
                if let first = line.link { linkFirsts.insert(first) }
            }
            digest = lines.sha256
        } catch {
            return nil
        }
        if let expected = manifestSha256, let digest, digest != expected.lowercased() {
            throw ArchiveError.manifestMismatch(actual: digest, expected: expected)
        }

        var scope = ReaderScope(limit, folders: folders)
        var permittedOwn: [UInt64] = [manifestEntry.localHeaderOffset]
        var permitted: [String: [ArchiveEntry]] = [:]
        var indexes: [String: [String: ArchiveEntry]] = [:]
        var firstEntries: [String: ArchiveEntry] = [:]
        var firstLines: [String: Manifest.Entry] = [:]
        var links: [Manifest.Entry] = []
        func permit(_ path: String, in holder: String?) {
            guard let holder else {
                if let found = parts[path] ?? firstEntries[path] { permittedOwn.append(found.localHeaderOffset) }
                return
            }
            guard let reader = references[holder] else { return }
            if indexes[holder] == nil {
                indexes[holder] = Dictionary(reader.entries.map { ($0.path, $0) }, uniquingKeysWith: { _, last in last })
            }
            if let found = indexes[holder]?[path] { permitted[holder, default: []].append(found) }
        }
        func permit(bytesOf line: Manifest.Entry) {
            if let segments = line.segments {
                for segment in segments { permit(segment.entry, in: segment.holder) }
            } else {
                permit(line.path, in: line.holder)
            }
        }
        // A line of a file this archive does not hold: its bytes, or (a hard link) its first name's, later.
        func elsewhere(_ line: Manifest.Entry) {
            if linkFirsts.contains(line.path) { firstLines[line.path] = line }
            guard line.type == .file, scope.permits(line) else { return }
            if line.link != nil { links.append(line) } else { permit(bytesOf: line) }
        }
        guard let lines = try ManifestLines(manifestEntry, in: own) else { return nil }
        var line: Manifest.Entry?
        do { line = try StreamedExtraction.nextHeld(lines) { elsewhere($0) } } catch { return nil }
        cursor = own.directoryCursor()
        while let entry = try cursor.next() {
            if entry.path == Manifest.entryPath { continue }
            guard let listed = line, listed.path == entry.path, listed.type == entry.kind else { return nil }
            do { line = try StreamedExtraction.nextHeld(lines) { elsewhere($0) } } catch { return nil }
            if linkFirsts.contains(entry.path) {
                firstEntries[entry.path] = entry
                firstLines[entry.path] = listed
            }
            if entry.path == ".paca" || entry.path.hasPrefix(".paca/") { continue }
            if scope.permits(listed) { permittedOwn.append(entry.localHeaderOffset) }
        }
        guard line == nil else { return nil }
        for link in links {
            if let first = link.link, let firstLine = firstLines[first] { permit(bytesOf: firstLine) }
        }
        var spans = [
            ownID: ReadableSpans(
                starts: starts, directoryOffset: own.directoryOffset, fileSize: own.fileSize, permitting: permittedOwn)
        ]
        for (id, reader) in references { spans[id] = ReadableSpans(reader, permitting: permitted[id] ?? []) }
        return spans
    }

    /// The spans of `own` (key `ownID`) and of the `references` it takes files from, by backup id.
    /// With `manifestSha256`, an archive whose manifest has another digest is refused.
    public static func compute(
        ownID: String, own: ArchiveReader, references: [String: ArchiveReader], limit: ReaderLimit, manifestSha256: String? = nil
    ) throws(ArchiveError) -> [String: ReadableSpans] {
        let manifest: Manifest?
        if let manifestSha256 {
            manifest = try own.manifest(expecting: manifestSha256)
        } else {
            manifest = own.entries.contains { $0.path == Manifest.entryPath } ? try own.manifest() : nil
        }
        let lines = Dictionary(manifest?.entries.map { ($0.path, $0) } ?? [], uniquingKeysWith: { _, last in last })
        var scope = ReaderScope(limit, entries: own.entries, manifest: manifest)
        var permitted: [String: [ArchiveEntry]] = [:]
        var indexes: [String: [String: ArchiveEntry]] = [:]
        func entry(_ path: String, in holder: String?) -> (String, ArchiveEntry)? {
            let id = holder ?? ownID
            guard let reader = holder == nil ? own : references[id] else { return nil }
            if indexes[id] == nil {
                indexes[id] = Dictionary(reader.entries.map { ($0.path, $0) }, uniquingKeysWith: { _, last in last })
            }
            return indexes[id]?[path].map { (id, $0) }
        }
        func permit(bytesOf line: Manifest.Entry) {
            if let segments = line.segments {
                for segment in segments {
                    if let (id, found) = entry(segment.entry, in: segment.holder) { permitted[id, default: []].append(found) }
                }
            } else if let (id, found) = entry(line.path, in: line.holder) {
                permitted[id, default: []].append(found)
            }
        }
        for item in own.entries {
            if item.path == Manifest.entryPath {
                permitted[ownID, default: []].append(item)
                continue
            }
            if item.path == ".paca" || item.path.hasPrefix(".paca/") { continue }
            if lines[item.path].map({ scope.permits($0) }) ?? scope.permits(item) { permitted[ownID, default: []].append(item) }
        }
        for line in manifest?.entries ?? [] where line.type == .file && !line.isHeldHere && scope.permits(line) {
            if let first = line.link {
                if let firstLine = lines[first] { permit(bytesOf: firstLine) }
            } else {
                permit(bytesOf: line)
            }
        }
        var spans = [ownID: ReadableSpans(own, permitting: permitted[ownID] ?? [])]
        for (id, reader) in references { spans[id] = ReadableSpans(reader, permitting: permitted[id] ?? []) }
        return spans
    }
}
