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

    public init(includes: [PathPattern] = [], overwrite: Bool = false, threads: Int? = nil, restoresOwnership: Bool? = nil) {
        self.includes = includes
        self.overwrite = overwrite
        self.threads = threads ?? SystemThread.processorCount
        self.restoresOwnership = restoresOwnership ?? (ProcessFacts.effectiveUID == 0)
    }
}

/// What an extraction did.
public struct ExtractionResult: Sendable, Equatable, Codable {
    public var archive: String
    public var destination: String
    public var files: Int
    public var directories: Int
    public var symlinks: Int
    /// Bytes of file contents written.
    public var bytes: UInt64
    public var seconds: Double
    /// Entries that were not extracted, and why (already exists, unsafe symlink, bad data).
    public var problems: [ArchiveProblem]
}

/// Restores files from an archive into a directory.
///
/// Refuses, before writing anything, an archive with an entry whose path is absolute or contains
/// `..` (zip-slip); refuses per entry to write through a symlink that leads outside the
/// destination. Each file is written to a temporary name and renamed into place, so an interrupted
/// restore never leaves a half-written file under the real name. Modes, mtimes and symlinks are
/// restored; directory modes and times are set last, deepest first. Files decompress in parallel.
public enum ArchiveExtractor {
    public static func extract(
        _ archivePath: String,
        to destination: String,
        options: ExtractionOptions = ExtractionOptions(),
        progress: (@Sendable (UInt64, UInt64) -> Void)? = nil
    ) throws(ArchiveError) -> ExtractionResult {
        let started = SystemTime.monotonic()
        let archive = try ArchiveReader(path: archivePath)
        let selected = try select(archive.entries, includes: options.includes)
        let guardian = try DestinationGuard(destination: destination)
        let state = ExtractionState(total: selected.reduce(0) { $0 + ($1.kind == .file ? $1.size : 0) }, progress: progress)
        let writer = EntryWriter(guardian: guardian, options: options)

        for entry in selected where entry.kind == .directory {
            do { try guardian.ensureDirectory(entry.path, entry: entry.path) } catch { state.report(error) }
        }
        let files = selected.filter { $0.kind == .file }.sorted { $0.compressedSize > $1.compressedSize }
        parallelLoop(count: files.count, threads: options.threads, context: { Result { () throws(ArchiveError) in try EntryStreamer() } }) {
            streamer, index in
            let entry = files[index]
            do {
                try writer.writeFile(entry, from: archive, streamer: try streamer.get()) { state.bytes.add(UInt64($0)) }
                state.count(entry)
            } catch let error as ArchiveError {
                state.report(error.at(entry: entry.path))
            } catch {
                state.report(ArchiveError(.io, "\(error)", entry: entry.path))
            }
        }
        for entry in selected where entry.kind == .symlink {
            do {
                try writer.writeSymlink(entry, from: archive)
                state.count(entry)
            } catch { state.report(error.at(entry: entry.path)) }
        }
        for entry in selected.filter({ $0.kind == .directory }).sorted(by: { $0.path.count > $1.path.count }) {
            do {
                try writer.finishDirectory(entry)
                state.count(entry)
            } catch { state.report(error.at(entry: entry.path)) }
        }
        return ExtractionResult(
            archive: archivePath, destination: guardian.root, files: state.files, directories: state.directories,
            symlinks: state.symlinks, bytes: state.bytes.total, seconds: SystemTime.monotonic() - started,
            problems: state.problems.sorted { ($0.entry ?? "") < ($1.entry ?? "") })
    }

    /// The entries to extract: those matching `includes` (all when empty) and the directories
    /// above them (so parents get their own modes and times back), the last of any duplicates,
    /// without pacad's own `.paca/` metadata unless asked for by name. Throws if any selected
    /// entry has an unsafe path.
    static func select(_ entries: [ArchiveEntry], includes: [PathPattern]) throws(ArchiveError) -> [ArchiveEntry] {
        var lastIndex: [String: Int] = [:]
        for (index, entry) in entries.enumerated() { lastIndex[entry.path] = index }
        var chosen = Set<Int>()
        for (index, entry) in entries.enumerated() where lastIndex[entry.path] == index {
            let isDirectory = entry.kind == .directory
            let isMetadata = entry.path == ".paca" || entry.path.hasPrefix(".paca/")
            if includes.isEmpty {
                if isMetadata { continue }
            } else if !includes.contains(where: { $0.matchesSelfOrAncestor(path: entry.path, isDirectory: isDirectory) }) {
                continue
            } else if isMetadata && !includes.contains(where: { $0.matches(path: entry.path, isDirectory: isDirectory) }) {
                continue
            }
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
private final class ExtractionState: @unchecked Sendable {
    private let lock = ConditionLock()
    let bytes: ByteProgress
    private(set) var files = 0
    private(set) var directories = 0
    private(set) var symlinks = 0
    private(set) var problems: [ArchiveProblem] = []

    init(total: UInt64, progress: (@Sendable (UInt64, UInt64) -> Void)?) {
        var report: (@Sendable (UInt64) -> Void)?
        if let progress { report = { done in progress(done, total) } }
        bytes = ByteProgress(report: report)
    }

    func count(_ entry: ArchiveEntry) {
        lock.withLock {
            switch entry.kind {
            case .file: files += 1
            case .directory: directories += 1
            case .symlink: symlinks += 1
            }
        }
    }

    func report(_ error: ArchiveError) { lock.withLock { problems.append(ArchiveProblem(error)) } }
}
