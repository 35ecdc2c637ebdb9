public import PacaCore
import PacaSystem

/// Settings for extracting an archive.
public struct ExtractionOptions: Sendable, Equatable {
    /// Extract only entries matching one of these (or inside a matching directory); all when empty.
    public var includes: [PathPattern]
    /// Replace existing files and symlinks; otherwise they are left alone and reported.
    public var overwrite: Bool
    public var threads: Int
    /// Restore owners and groups from the archive; defaults to true only when running as root.
    public var restoresOwnership: Bool
    /// For a user who is not root: leave out (and list) the entries that user could not have
    /// read when they were backed up. Nil takes everything.
    public var reader: ReaderLimit?
    /// The SHA-256 the catalog recorded for the archive's manifest: given, an archive without a
    /// manifest, or with another one, is refused before anything is written.
    public var manifestSha256: String?

    public init(
        includes: [PathPattern] = [], overwrite: Bool = false, threads: Int? = nil, restoresOwnership: Bool? = nil,
        reader: ReaderLimit? = nil, manifestSha256: String? = nil
    ) {
        self.includes = includes
        self.overwrite = overwrite
        self.threads = threads ?? SystemThread.processorCount
        self.restoresOwnership = restoresOwnership ?? (ProcessFacts.effectiveUID == 0)
        self.reader = reader
        self.manifestSha256 = manifestSha256
    }
}

/// What an extraction did.
public struct ExtractionResult: Sendable, Equatable, Codable {
    public var archive: String
    public var destination: String
    public var files: Int
    public var directories: Int
    public var symlinks: Int
    /// FIFOs, sockets and device nodes made.
    public var specials: Int = 0
    /// Bytes of file contents written.
    public var bytes: UInt64
    public var seconds: Double
    /// Entries that were not extracted, and why (already exists, unsafe symlink, bad data).
    public var problems: [ArchiveProblem]
    /// Backups whose archives hold files of this one and were not available: the files they
    /// hold were not restored (each is also a problem).
    public var missingBackups: [String] = []
    /// Bytes read from a target in ranges (a partial restore from a bucket), when that is how
    /// the archives were read; nil for local files.
    public var bytesFetched: UInt64?
    /// What ``ExtractionOptions/reader`` left out: the topmost of the entries the user could not
    /// have read (a folder stands for everything in it). Not problems: nothing went wrong.
    public var leftOut: [String] = []

    enum CodingKeys: String, CodingKey {
        case archive, destination, files, directories, symlinks, bytes, seconds, problems
        case missingBackups = "missing_backups"
        case bytesFetched = "bytes_fetched"
        case leftOut = "left_out"
    }
}

/// Which archive and entry each restored file's bytes come from, worked out before writing.
struct FilePlan {
    struct Job {
        enum Source {
            /// One entry holds the whole file.
            case entry(ArchiveReader, ArchiveEntry)
            /// The file is put together from runs of bytes of several entries.
            case segments([ResolvedSegment])
        }

        let source: Source
        var placement: Placement

        init(archive: ArchiveReader, entry: ArchiveEntry, placement: Placement) {
            source = .entry(archive, entry)
            self.placement = placement
        }

        init(source: Source, placement: Placement) {
            self.source = source
            self.placement = placement
        }

        /// The file's size.
        var size: UInt64 {
            switch source {
            case .entry(_, let entry): entry.size
            case .segments(let segments): segments.reduce(0) { $0 + $1.size }
            }
        }

        /// Roughly how long it takes to write (the biggest go first).
        var weight: UInt64 {
            switch source {
            case .entry(_, let entry): entry.compressedSize
            case .segments: size
            }
        }

        /// Streams the file's bytes to `body`.
        func stream(streamer: EntryStreamer, _ body: (UnsafeRawBufferPointer) throws(ArchiveError) -> Void) throws(ArchiveError) {
            switch source {
            case .entry(let archive, let entry): try streamer.stream(entry, from: archive, body)
            case .segments(let segments): try SegmentStreamer.stream(segments, body)
            }
        }
    }

    var jobs: [Job] = []
    /// Hard links to make once the files are written: (the link, its first name).
    var links: [(Placement, String)] = []
    var problems: [ArchiveError] = []
    var missingBackups: [String] = []

    /// The plan for the `selected` entries of `archive` and the manifest's files it does not hold
    /// (`elsewhere`). `own` finds this archive's entries by name (parts, first names of links);
    /// `restoredHere` adds first names being restored that are not among `selected`.
    init(
        archive: ArchiveReader, selected: [ArchiveEntry], own: [String: ArchiveEntry], restoredHere extra: Set<String> = [],
        lines: [String: Manifest.Entry], elsewhere: [Manifest.Entry], references: [String: any ArchiveByteSource]
    ) throws(ArchiveError) {
        for entry in selected where entry.kind == .file {
            jobs.append(
                Job(archive: archive, entry: entry, placement: lines[entry.path].map { Placement($0, fallback: entry) } ?? Placement(entry))
            )
        }
        let restoredHere = Set(jobs.map(\.placement.path)).union(extra)
        let holders = HolderArchives(references)
        var unavailable: [String: String] = [:]
        func entry(_ path: String, in holder: String?) -> (ArchiveReader, ArchiveEntry)? {
            guard let holder else {
                return own[path].map { (archive, $0) }
            }
            switch holders.lookup(path, in: holder) {
            case .found(let reader, let entry): return (reader, entry)
            case .unavailable(let why):
                unavailable[holder] = why
                return nil
            case .missing: return nil
            }
        }
        func source(of line: Manifest.Entry) -> Job.Source? {
            guard let segments = line.segments else {
                return entry(line.path, in: line.holder).map { .entry($0.0, $0.1) }
            }
            var resolved: [ResolvedSegment] = []
            for segment in segments {
                guard let (reader, found) = entry(segment.entry, in: segment.holder), found.kind == .file else { return nil }
                resolved.append(ResolvedSegment(archive: reader, entry: found, offset: segment.offset, size: segment.size))
            }
            return .segments(resolved)
        }
        let restoredElsewhere = Set(elsewhere.filter { $0.link == nil }.map(\.path))
        for line in elsewhere {
            if let first = line.link {
                if restoredHere.contains(first) || restoredElsewhere.contains(first) {
                    links.append((Placement(line, fallback: nil), first))
                    continue
                }
                // The first name is not being restored: this name gets the bytes itself.
                guard let firstLine = lines[first], let source = source(of: firstLine) else {
                    problems.append(ArchiveError(.notFound, "its first name \(first) cannot be found to restore it from", entry: line.path))
                    continue
                }
                var placement = Placement(line, fallback: nil)
                placement.sha256 = firstLine.sha256
                jobs.append(Job(source: source, placement: placement))
                continue
            }
            guard let source = source(of: line) else {
                let holders = line.segments.map { Array(Set($0.map { $0.holder ?? "" })).sorted() } ?? [line.holder ?? ""]
                let why =
                    holders.compactMap { unavailable[$0] }.first
                    ?? "the archive of backup \(holders.joined(separator: ", ")) has no entry for its bytes"
                problems.append(ArchiveError(.notFound, "not restored: \(why)", entry: line.path))
                continue
            }
            if case .entry(_, let entry) = source, entry.kind != .file {
                problems.append(
                    ArchiveError(.corrupt, "backup \(line.holder ?? "") holds a \(entry.kind.rawValue) here, not a file", entry: line.path))
                continue
            }
            var fallback: ArchiveEntry?
            if case .entry(_, let entry) = source { fallback = entry }
            jobs.append(Job(source: source, placement: Placement(line, fallback: fallback)))
        }
        missingBackups = unavailable.keys.sorted()
    }
}

/// Restores files from an archive into a directory.
///
/// Refuses, before writing anything, an archive with an entry whose path is absolute or contains
/// `..` (zip-slip); writes every entry by name into its folder opened under the destination's
/// descriptor without following symlinks (``DestinationGuard``), so no entry is written through a
/// symlink, one already there or one swapped in while the extraction runs. Each file is written to a temporary name and renamed into place, so an interrupted
/// restore never leaves a half-written file under the real name. Modes, mtimes and symlinks are
/// restored; directory modes and times are set last, deepest first. Files decompress in parallel.
///
/// When the archive has a manifest, every file's SHA-256 is checked before it takes its name, and
/// the manifest's entries that this archive does not hold are restored too: a file whose bytes are
/// in another backup's archive is read from `references` (by backup id), and another name of a
/// hard-linked file becomes a hard link. A referenced archive that is not given is named in the
/// result's ``ExtractionResult/missingBackups``; the rest is still restored.
public enum ArchiveExtractor {
    public static func extract(
        _ archivePath: String,
        to destination: String,
        options: ExtractionOptions = ExtractionOptions(),
        references: [String: any ArchiveByteSource] = [:],
        progress: (@Sendable (UInt64, UInt64) -> Void)? = nil
    ) throws(ArchiveError) -> ExtractionResult {
        try extract(
            from: try FileByteSource(path: archivePath), to: destination, options: options, references: references, progress: progress)
    }

    /// The same from any byte source: an archive on a target read in ranges, so a partial
    /// restore fetches the entries it needs and the directory, not the whole archive.
    public static func extract(
        from source: any ArchiveByteSource,
        to destination: String,
        options: ExtractionOptions = ExtractionOptions(),
        references: [String: any ArchiveByteSource] = [:],
        progress: (@Sendable (UInt64, UInt64) -> Void)? = nil
    ) throws(ArchiveError) -> ExtractionResult {
        let started = SystemTime.monotonic()
        let streamed = try ArchiveReader(source: source, readingDirectory: false)
        if let manifestEntry = try StreamedExtraction.manifestEntry(of: streamed),
            let result = try StreamedExtraction(archive: streamed, manifestEntry: manifestEntry, options: options).run(
                to: destination, references: references, started: started, progress: progress)
        {
            return result
        }
        return try extractWhole(
            try ArchiveReader(source: source), to: destination, options: options, references: references, started: started,
            progress: progress)
    }

    /// The whole-archive extraction: the central directory and the manifest held in memory, for
    /// archives not in pacad's layout (``StreamedExtraction`` takes the others).
    static func extractWhole(
        _ archive: ArchiveReader, to destination: String, options: ExtractionOptions, references: [String: any ArchiveByteSource],
        started: Double, progress: (@Sendable (UInt64, UInt64) -> Void)?
    ) throws(ArchiveError) -> ExtractionResult {
        let archivePath = archive.source.name
        let manifest: Manifest?
        if let expected = options.manifestSha256 {
            manifest = try archive.manifest(expecting: expected)
        } else {
            manifest = archive.entries.contains { $0.path == Manifest.entryPath } ? try? archive.manifest() : nil
        }
        let lines = Dictionary(manifest?.entries.map { ($0.path, $0) } ?? [], uniquingKeysWith: { _, last in last })
        var elsewhere = try manifestOnlyFiles(manifest, includes: options.includes)
        var selected = try select(archive.entries, includes: options.includes, alsoUnder: elsewhere.map(\.path))
        // With a manifest, it is the authority on what the backup held: an entry it does not list
        // (a name changed in the directory) is refused, not restored under that name.
        var unlisted: [ArchiveError] = []
        if manifest != nil {
            selected = selected.filter { entry in
                if entry.path == ".paca" || entry.path.hasPrefix(".paca/") { return true }
                guard let line = lines[entry.path] else {
                    unlisted.append(
                        ArchiveError(.corrupt, "not restored: the archive's manifest does not list this entry", entry: entry.path))
                    return false
                }
                guard line.type == entry.kind else {
                    unlisted.append(
                        ArchiveError(
                            .corrupt, "not restored: the archive holds a \(entry.kind.rawValue), its manifest a \(line.type.rawValue)",
                            entry: entry.path))
                    return false
                }
                return true
            }
        }
        var leftOut: [String] = []
        if let limit = options.reader {
            var scope = ReaderScope(limit, entries: archive.entries, manifest: manifest)
            var refused: [String] = []
            selected = selected.filter { entry in
                let permitted = lines[entry.path].map { scope.permits($0) } ?? scope.permits(entry)
                if !permitted { refused.append(entry.path) }
                return permitted
            }
            elsewhere = elsewhere.filter { line in
                let permitted = scope.permits(line)
                if !permitted { refused.append(line.path) }
                return permitted
            }
            leftOut = topmost(refused)
        }
        let guardian = try DestinationGuard(destination: destination)
        let writer = EntryWriter(guardian: guardian, options: options)
        let own = Dictionary(archive.entries.map { ($0.path, $0) }, uniquingKeysWith: { _, last in last })
        let plan = try FilePlan(archive: archive, selected: selected, own: own, lines: lines, elsewhere: elsewhere, references: references)
        let state = ExtractionState(
            total: plan.jobs.reduce(0) { $0 + $1.size }, tracking: Set(plan.links.map(\.1)), progress: progress)
        for problem in plan.problems + unlisted { state.report(problem) }

        for entry in selected where entry.kind == .directory {
            do { try writer.makeDirectory(entry) } catch { state.report(error) }
        }
        write(plan.jobs, with: writer, threads: options.threads, state: state)
        link(plan.links, with: writer, state: state)
        for entry in selected where entry.kind == .symlink {
            do {
                try writer.writeSymlink(entry, from: archive)
                state.count(entry)
            } catch { state.report(error.at(entry: entry.path)) }
        }
        for entry in selected where entry.kind.isSpecial {
            do {
                try writer.makeSpecial(entry, device: lines[entry.path]?.rdev ?? 0)
                state.count(entry)
            } catch { state.report(error.at(entry: entry.path)) }
        }
        finish(selected.filter { $0.kind == .directory }, with: writer, state: state)
        return ExtractionResult(
            archive: archivePath, destination: guardian.root, files: state.files, directories: state.directories,
            symlinks: state.symlinks, specials: state.specials, bytes: state.bytes.total, seconds: SystemTime.monotonic() - started,
            problems: state.problems.sorted { ($0.entry ?? "") < ($1.entry ?? "") }, missingBackups: plan.missingBackups,
            leftOut: leftOut)
    }

    /// Writes `jobs` on `threads` threads, the biggest first.
    static func write(_ jobs: [FilePlan.Job], with writer: EntryWriter, threads: Int, state: ExtractionState) {
        let files = jobs.sorted { $0.weight > $1.weight }
        parallelLoop(count: files.count, threads: threads, context: { Result { () throws(ArchiveError) in try EntryStreamer() } }) {
            streamer, index in
            let job = files[index]
            do {
                let streamer = try streamer.get()
                try writer.writeFile(as: job.placement, progress: { state.bytes.add(UInt64($0)) }) {
                    (body) throws(ArchiveError) in try job.stream(streamer: streamer, body)
                }
                state.countFile(restored: job.placement.path)
            } catch let error as ArchiveError {
                state.report(error.at(entry: job.placement.path))
            } catch {
                state.report(ArchiveError(.io, "\(error)", entry: job.placement.path))
            }
        }
    }

    /// Makes the hard links `links` (each to a first name, which must have been restored).
    static func link(_ links: [(Placement, String)], with writer: EntryWriter, state: ExtractionState) {
        for (placement, first) in links {
            guard state.wasRestored(first) else {
                state.report(ArchiveError(.notFound, "not linked: its first name \(first) was not restored", entry: placement.path))
                continue
            }
            do {
                try writer.writeLink(placement, to: first)
                state.countFile(restored: placement.path)
            } catch { state.report(error.at(entry: placement.path)) }
        }
    }

    /// Sets the folders' modes, owners and times, deepest first.
    static func finish(_ folders: [ArchiveEntry], with writer: EntryWriter, state: ExtractionState) {
        for entry in folders.sorted(by: { $0.path.count > $1.path.count }) {
            do {
                try writer.finishDirectory(entry)
                state.count(entry)
            } catch { state.report(error.at(entry: entry.path)) }
        }
    }

    /// The paths of `paths` that have no ancestor among them, sorted.
    static func topmost(_ paths: [String]) -> [String] {
        let all = Set(paths)
        return all.filter { path in
            var parent = Substring(path)
            while let slash = parent.lastIndex(of: "/") {
                parent = parent[..<slash]
                if all.contains(String(parent)) { return false }
            }
            return true
        }.sorted()
    }

    /// The manifest's files this archive does not hold (bytes in another backup's archive, or
    /// another name of a hard link) that `includes` selects, with their paths checked.
    static func manifestOnlyFiles(_ manifest: Manifest?, includes: [PathPattern]) throws(ArchiveError) -> [Manifest.Entry] {
        guard let manifest else { return [] }
        var chosen: [Manifest.Entry] = []
        for line in manifest.entries where line.type == .file && !line.isHeldHere {
            if !includes.isEmpty && !includes.contains(where: { $0.matchesSelfOrAncestor(path: line.path, isDirectory: false) }) {
                continue
            }
            try EntryPathCheck.validate(path: line.path)
            if let first = line.link { try EntryPathCheck.validate(path: first) }
            chosen.append(line)
        }
        return chosen
    }

    /// The entries to extract: those matching `includes` (all when empty) and the directories
    /// above them (so parents get their own modes and times back), the last of any duplicates,
    /// without pacad's own `.paca/` metadata unless asked for by name. Throws if any selected
    /// entry has an unsafe path.
    static func select(_ entries: [ArchiveEntry], includes: [PathPattern], alsoUnder extra: [String] = []) throws(ArchiveError)
        -> [ArchiveEntry]
    {
        var lastIndex: [String: Int] = [:]
        for (index, entry) in entries.enumerated() { lastIndex[entry.path] = index }
        var chosen = Set<Int>()
        // The folders above files restored from elsewhere come back with their own modes and times.
        for path in extra {
            var parent = Substring(path)
            while let slash = parent.lastIndex(of: "/") {
                parent = parent[..<slash]
                if let directory = lastIndex[String(parent)], entries[directory].kind == .directory { chosen.insert(directory) }
            }
        }
        for (index, entry) in entries.enumerated() where lastIndex[entry.path] == index {
            guard StreamedExtraction.isChosen(entry.path, isDirectory: entry.kind == .directory, includes: includes) else { continue }
            chosen.insert(index)
            var parent = Substring(entry.path)
            while let slash = parent.lastIndex(of: "/") {
                parent = parent[..<slash]
                if let directory = lastIndex[String(parent)], entries[directory].kind == .directory { chosen.insert(directory) }
            }
        }
        var selected: [ArchiveEntry] = []
        for index in chosen.sorted() {
            try EntryPathCheck.validate(entries[index])
            selected.append(entries[index])
        }
        return selected
    }
}

/// Counters and problems of a parallel extraction, under a lock.
final class ExtractionState: @unchecked Sendable {
    private let lock = ConditionLock()
    let bytes: ByteProgress
    private(set) var files = 0
    private(set) var directories = 0
    private(set) var symlinks = 0
    private(set) var specials = 0
    private(set) var problems: [ArchiveProblem] = []

    /// The paths whose restoring is remembered (first names of hard links), and those restored.
    private let tracking: Set<String>
    private var restored = Set<String>()

    init(total: UInt64, tracking: Set<String>, progress: (@Sendable (UInt64, UInt64) -> Void)?) {
        var report: (@Sendable (UInt64) -> Void)?
        if let progress { report = { done in progress(done, total) } }
        bytes = ByteProgress(report: report)
        self.tracking = tracking
    }

    func countFile(restored path: String) {
        lock.withLock {
            files += 1
            if tracking.contains(path) { restored.insert(path) }
        }
    }

    func wasRestored(_ path: String) -> Bool { lock.withLock { restored.contains(path) } }

    func count(_ entry: ArchiveEntry) {
        lock.withLock {
            switch entry.kind {
            case .file: files += 1
            case .directory: directories += 1
            case .symlink: symlinks += 1
            case .fifo, .socket, .characterDevice, .blockDevice: specials += 1
            }
        }
    }

    func report(_ error: ArchiveError) { lock.withLock { problems.append(ArchiveProblem(error)) } }
}
