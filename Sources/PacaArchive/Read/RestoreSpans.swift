/// What of a backup's archives a restore limited to one user may read: for its own archive and
/// each archive it takes files from, the ``ReadableSpans`` that hold the structure, the manifest
/// and the entries the user could have read (``ReaderScope``: the same decision the extractor
/// makes, so every byte it asks for of a permitted entry is served and no other entry's is).
public enum RestoreSpans {
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
