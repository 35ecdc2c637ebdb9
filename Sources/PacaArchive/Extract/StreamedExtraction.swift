import PacaCore
import PacaSystem

/// An extraction that holds neither the central directory nor the manifest: for archives in
/// pacad's layout (a manifest written one entry per line, in the order of the entries it
/// holds), which is every archive pacad writes. Memory grows with the folders of the tree, the
/// files a restore takes from other backups' archives, and the symlinks and special files; not
/// with the files the archive holds, which are written in bounded batches in archive order.
///
/// Three reads of the directory, the manifest read twice:
/// 1. find the manifest (the last entry of its name);
/// 2. pair every entry with its manifest line, check every selected path, collect the folders
///    and what comes from elsewhere, and take the manifest's digest: an archive that fails the
///    pairing is not in pacad's layout and goes back to the whole extraction (nothing is
///    written before this pass ends), one whose manifest is not the catalog's is refused;
/// 3. write: folders first, then files batch by batch, then what comes from elsewhere, links,
///    symlinks, special files, and the folders' modes and times, deepest first.
struct StreamedExtraction {
    let archive: ArchiveReader
    let manifestEntry: ArchiveEntry
    let options: ExtractionOptions

    /// Files per batch, and compressed bytes per batch: how much of the directory a batch holds.
    static let batchEntries = 4096
    static let batchBytes: UInt64 = 256 << 20

    /// A folder of the archive, with the manifest's line for it.
    struct Folder {
        var entry: ArchiveEntry
        var line: Manifest.Entry
    }

    /// What the pairing pass learned.
    struct Survey {
        var folders: [Folder] = []
        /// Folders restored because something inside them is.
        var neededFolders = Set<String>()
        /// The manifest's selected files whose bytes are in another archive or that are another
        /// name of a hard link.
        var elsewhere: [Manifest.Entry] = []
        /// First names of hard links restored from elsewhere: their entries and lines are kept
        /// in the writing pass, and whether they were restored is tracked.
        var linkFirsts = Set<String>()
        /// Bytes of the files to write, for progress.
        var total: UInt64 = 0
    }

    /// The archive's manifest entry, when the archive has one (the last of its name).
    static func manifestEntry(of archive: ArchiveReader) throws(ArchiveError) -> ArchiveEntry? {
        var cursor = archive.directoryCursor()
        var found: ArchiveEntry?
        while let entry = try cursor.next() {
            if entry.path == Manifest.entryPath { found = entry }
        }
        return found
    }

    /// The extraction, or nil when the archive is not in pacad's layout (nothing written then).
    func run(
        to destination: String, references: [String: any ArchiveByteSource], started: Double,
        progress: (@Sendable (UInt64, UInt64) -> Void)?
    ) throws(ArchiveError) -> ExtractionResult? {
        guard let survey = try survey() else { return nil }
        let guardian = try DestinationGuard(destination: destination)
        let writer = EntryWriter(guardian: guardian, options: options)
        let state = ExtractionState(total: survey.total, tracking: survey.linkFirsts, progress: progress)
        var scope = options.reader.map { limit in
            ReaderScope(limit, folders: survey.folders.map(\.line))
        }
        var refused = RefusedPaths()

        var folders: [ArchiveEntry] = []
        for folder in survey.folders
        where Self.isChosen(folder.entry.path, isDirectory: true, includes: options.includes)
            || survey.neededFolders.contains(folder.entry.path)
        {
            if scope?.permits(folder.line) == false {
                refused.add(folder.entry.path, isDirectory: true)
                continue
            }
            folders.append(folder.entry)
            do { try writer.makeDirectory(folder.entry) } catch { state.report(error) }
        }

        // The writing pass: the same pairing again, files in batches.
        guard let lines = try ManifestLines(manifestEntry, in: archive) else { throw Self.changed() }
        var symlinks: [ArchiveEntry] = []
        var specials: [(ArchiveEntry, UInt64)] = []
        var firstEntries: [String: ArchiveEntry] = [:]
        var firstLines: [String: Manifest.Entry] = [:]
        var parts: [String: ArchiveEntry] = [:]
        var restoredFirsts = Set<String>()
        var batch: [FilePlan.Job] = []
        var batchBytes: UInt64 = 0
        var line = try Self.nextHeld(lines) { _ in }
        var cursor = archive.directoryCursor()
        while let entry = try cursor.next() {
            if entry.path == Manifest.entryPath {
                // pacad's own metadata: written only when asked for by name.
                if Self.isChosen(entry.path, isDirectory: false, includes: options.includes), scope?.permits(entry) != false {
                    batch.append(FilePlan.Job(archive: archive, entry: entry, placement: Placement(entry)))
                }
                continue
            }
            guard let listed = line, listed.path == entry.path, listed.type == entry.kind else { throw Self.changed() }
            line = try Self.nextHeld(lines) { _ in }
            if PartLayout.isPartPath(entry.path) { parts[entry.path] = entry }
            if survey.linkFirsts.contains(entry.path) {
                firstEntries[entry.path] = entry
                firstLines[entry.path] = listed
            }
            guard entry.kind != .directory, Self.isChosen(entry.path, isDirectory: false, includes: options.includes) else { continue }
            if scope?.permits(listed) == false {
                refused.add(entry.path, isDirectory: false)
                continue
            }
            switch entry.kind {
            case .file:
                if survey.linkFirsts.contains(entry.path) { restoredFirsts.insert(entry.path) }
                batch.append(FilePlan.Job(archive: archive, entry: entry, placement: Placement(listed, fallback: entry)))
                batchBytes += entry.compressedSize
                if batch.count >= Self.batchEntries || batchBytes >= Self.batchBytes {
                    ArchiveExtractor.write(batch, with: writer, threads: options.threads, state: state)
                    batch.removeAll(keepingCapacity: true)
                    batchBytes = 0
                }
            case .symlink: symlinks.append(entry)
            case .fifo, .socket, .characterDevice, .blockDevice: specials.append((entry, listed.rdev ?? 0))
            case .directory: break
            }
        }
        guard line == nil else { throw Self.changed() }
        ArchiveExtractor.write(batch, with: writer, threads: options.threads, state: state)
        batch = []

        // What comes from elsewhere: other backups' archives, parts of this one, hard links.
        var elsewhere: [Manifest.Entry] = []
        for line in survey.elsewhere {
            if scope?.permits(line) == false {
                refused.add(line.path, isDirectory: false)
            } else {
                elsewhere.append(line)
            }
        }
        let plan = try FilePlan(
            archive: archive, selected: [], own: parts.merging(firstEntries) { part, _ in part }, restoredHere: restoredFirsts,
            lines: firstLines, elsewhere: elsewhere, references: references)
        for problem in plan.problems { state.report(problem) }
        ArchiveExtractor.write(plan.jobs, with: writer, threads: options.threads, state: state)
        ArchiveExtractor.link(plan.links, with: writer, state: state)
        for entry in symlinks {
            do {
                try writer.writeSymlink(entry, from: archive)
                state.count(entry)
            } catch { state.report(error.at(entry: entry.path)) }
        }
        for (entry, device) in specials {
            do {
                try writer.makeSpecial(entry, device: device)
                state.count(entry)
            } catch { state.report(error.at(entry: entry.path)) }
        }
        ArchiveExtractor.finish(folders, with: writer, state: state)
        return ExtractionResult(
            archive: archive.source.name, destination: guardian.root, files: state.files, directories: state.directories,
            symlinks: state.symlinks, specials: state.specials, bytes: state.bytes.total, seconds: SystemTime.monotonic() - started,
            problems: state.problems.sorted { ($0.entry ?? "") < ($1.entry ?? "") }, missingBackups: plan.missingBackups,
            leftOut: ArchiveExtractor.topmost(refused.paths))
    }

    /// The pairing pass; nil when the archive is not in pacad's layout.
    func survey() throws(ArchiveError) -> Survey? {
        let opened: ManifestLines?
        do { opened = try ManifestLines(manifestEntry, in: archive) } catch { opened = nil }
        guard let lines = opened else { return nil }
        var survey = Survey()
        let includes = options.includes
        func selectElsewhere(_ line: Manifest.Entry) throws(ArchiveError) {
            guard line.type == .file,
                includes.isEmpty || includes.contains(where: { $0.matchesSelfOrAncestor(path: line.path, isDirectory: false) })
            else { return }
            try EntryPathCheck.validate(path: line.path)
            if let first = line.link {
                try EntryPathCheck.validate(path: first)
                survey.linkFirsts.insert(first)
            }
            Self.markParents(of: line.path, in: &survey.neededFolders)
            survey.elsewhere.append(line)
            survey.total += line.size
        }
        // Lines the manifest gives between two held entries; an unreadable manifest is not pacad's layout.
        var pending: [Manifest.Entry] = []
        var line: Manifest.Entry?
        do { line = try Self.nextHeld(lines) { pending.append($0) } } catch { return nil }
        var cursor = archive.directoryCursor()
        while let entry = try cursor.next() {
            for other in pending { try selectElsewhere(other) }
            pending.removeAll()
            if entry.path == Manifest.entryPath {
                if Self.isChosen(entry.path, isDirectory: false, includes: includes) {
                    try EntryPathCheck.validate(entry)
                    survey.total += entry.size
                }
                continue
            }
            guard let listed = line, listed.path == entry.path, listed.type == entry.kind else { return nil }
            do { line = try Self.nextHeld(lines) { pending.append($0) } } catch { return nil }
            let isDirectory = entry.kind == .directory
            if isDirectory { survey.folders.append(Folder(entry: entry, line: listed)) }
            guard Self.isChosen(entry.path, isDirectory: isDirectory, includes: includes) else { continue }
            try EntryPathCheck.validate(entry)
            Self.markParents(of: entry.path, in: &survey.neededFolders)
            if entry.kind == .file { survey.total += entry.size }
        }
        for other in pending { try selectElsewhere(other) }
        guard line == nil else { return nil }
        if let expected = options.manifestSha256, let actual = lines.sha256, actual != expected.lowercased() {
            throw ArchiveError.manifestMismatch(actual: actual, expected: expected)
        }
        // A folder chosen for what is in it has its own path checked too.
        for folder in survey.folders where survey.neededFolders.contains(folder.entry.path) {
            try EntryPathCheck.validate(folder.entry)
        }
        return survey
    }

    /// The manifest's next line of an entry this archive holds; the lines between go to `skipped`.
    static func nextHeld(_ lines: ManifestLines, skipped: (Manifest.Entry) -> Void) throws(ArchiveError) -> Manifest.Entry? {
        while let line = try lines.next() {
            if line.isHeldHere { return line }
            skipped(line)
        }
        return nil
    }

    /// Whether `includes` selects the entry at `path` (all when empty), leaving out pacad's own
    /// `.paca/` metadata unless asked for by name.
    static func isChosen(_ path: String, isDirectory: Bool, includes: [PathPattern]) -> Bool {
        let isMetadata = path == ".paca" || path.hasPrefix(".paca/")
        if includes.isEmpty { return !isMetadata }
        guard includes.contains(where: { $0.matchesSelfOrAncestor(path: path, isDirectory: isDirectory) }) else { return false }
        return !isMetadata || includes.contains(where: { $0.matches(path: path, isDirectory: isDirectory) })
    }

    /// Adds the folders above `path` to `folders`.
    static func markParents(of path: String, in folders: inout Set<String>) {
        var parent = Substring(path)
        while let slash = parent.lastIndex(of: "/") {
            parent = parent[..<slash]
            guard folders.insert(String(parent)).inserted else { return }
        }
    }

    /// The archive no longer pairs with its manifest in the writing pass: it changed under the restore.
    static func changed() -> ArchiveError {
        ArchiveError(.corrupt, "the archive changed while it was being restored: its entries no longer match its manifest")
    }
}

/// The paths a reader limit left out, without those inside a folder already left out.
struct RefusedPaths {
    private(set) var paths: [String] = []
    private var folders = Set<String>()

    mutating func add(_ path: String, isDirectory: Bool) {
        var parent = Substring(path)
        while let slash = parent.lastIndex(of: "/") {
            parent = parent[..<slash]
            if folders.contains(String(parent)) { return }
        }
        if isDirectory { folders.insert(path) }
        paths.append(path)
    }
}
