public import Logging
import PacaSystem

/// The daemon's index of what every backup held, path by path (``FileIndexStore``), for the
/// dashboard's file tree, file history and backup diffs. Fed by the manifest copies backups leave
/// in `<state_dir>/files/pending/` (`<id>.json`), ingested one at a time in catalog sequence
/// order, then removed; copies left by a stop are submitted again at the next start. Losing the index
/// loses no backup: only the history pages' view of the backups before it was made.
public actor FileIndex {
    let store: FileIndexStore
    let pending: String
    let logger: Logger
    private var queue: [Job] = []
    private var isDraining = false
    private var settled: [CheckedContinuation<Void, Never>] = []
    /// Why the last ingest failed, if it did (shown on the pages).
    public private(set) var lastProblem: String?

    struct Job: Sendable {
        var id: String
        var set: String
        var sequence: Int64
        var createdAt: Int64
        var manifest: String
        /// How to read the manifest from the backup's archive first; nil when a copy was left.
        var fetch: ManifestFetch?
    }

    /// Writes backup `id`'s manifest, read from its archive, to the file `destination`.
    public typealias ManifestFetch = @Sendable (_ id: String, _ destination: String) async throws(FileIndexError) -> Void

    /// A backup of the catalog that the index should hold: a whole-set restore point.
    public struct CatalogBackup: Sendable {
        public var id: String
        public var set: String
        public var sequence: Int64
        public var createdAt: Int64
        /// Sealed archives cannot be read by pacad: without a copy they stay out.
        public var sealed: Bool

        public init(id: String, set: String, sequence: Int64, createdAt: Int64, sealed: Bool) {
            self.id = id
            self.set = set
            self.sequence = sequence
            self.createdAt = createdAt
            self.sealed = sealed
        }
    }

    /// What ``resume(catalog:fetch:)`` queued.
    public struct Resumed: Sendable {
        /// Manifest copies a stop left, queued again.
        public var copies = 0
        /// Backups the index lacked, to be read from their archives.
        public var fromArchives = 0
        /// Copies of backups the catalog does not hold (any more), removed.
        public var dropped = 0
    }

    /// Opens (or makes) the index under `stateDirectory`.
    public static func open(stateDirectory: String, logger: Logger) async throws(FileIndexError) -> FileIndex {
        let pending = stateDirectory + "/files/pending"
        let opened = await BlockingPool.shared.run { () -> Result<FileIndexStore, FileIndexError> in
            do throws(FileIndexError) {
                do { try DurableFile.makeDirectories(pending) } catch { throw FileIndexError("cannot make \(pending): \(error)") }
                return .success(try FileIndexStore(path: stateDirectory + "/files.sqlite"))
            } catch {
                return .failure(error)
            }
        }
        return FileIndex(store: try opened.get(), pending: pending, logger: logger)
    }

    init(store: FileIndexStore, pending: String, logger: Logger) {
        self.store = store
        self.pending = pending
        self.logger = logger
    }

    /// Where backup `id`'s manifest copy goes, for ``submit(id:set:sequence:createdAt:)``.
    public nonisolated func manifestPath(id: String) -> String { pending + "/\(id).json" }

    /// Queues the ingest of backup `id` (catalog sequence `sequence`), whose manifest copy is at
    /// ``manifestPath(id:)``; with no sequence (the backup is no restore point) the copy is removed.
    public func submit(id: String, set: String, sequence: Int64?, createdAt: Int64) {
        let manifest = manifestPath(id: id)
        guard let sequence, Syscall.exists(manifest) else {
            try? Syscall.unlink(manifest)
            return
        }
        queue.append(Job(id: id, set: set, sequence: sequence, createdAt: createdAt, manifest: manifest))
        queue.sort { $0.sequence < $1.sequence }
        drain()
    }

    /// At start, with every whole-set restore point of the catalog: queues the manifest copies a
    /// stop left (removing those of backups the catalog no longer has), and the backups the index
    /// does not hold and has no copy of, newer than the newest it holds of their set: backups made
    /// before the index existed, or all of them when `files.sqlite` was removed. Those are read
    /// from their archives with `fetch`, one at a time, in catalog order with everything else.
    /// Older gaps stay (the index holds changes, in order); a sealed archive cannot be read.
    @discardableResult
    public func resume(catalog: [CatalogBackup], fetch: @escaping ManifestFetch) async -> Resumed {
        var resumed = Resumed()
        let store = self.store
        let pendingFolder = pending
        let (held, copies) = await BlockingPool.shared.run { () -> (Result<[String: Int64], FileIndexError>, Set<String>) in
            let copies = Set(DurableFile.names(in: pendingFolder).filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) })
            do throws(FileIndexError) { return (.success(try store.newestSequences()), copies) } catch { return (.failure(error), copies) }
        }
        let newest: [String: Int64]
        switch held {
        case .success(let found): newest = found
        case .failure(let error):
            lastProblem = error.description
            logger.warning("file index: cannot tell which backups it holds", metadata: ["error": "\(error)"])
            newest = [:]
        }
        var known = Set<String>()
        for backup in catalog {
            known.insert(backup.id)
            // A copy is taken as it is (the index skips a backup it holds already); without one,
            // only a readable backup newer than the set's newest in the index can be added.
            let copy = copies.contains(backup.id)
            guard copy || (!backup.sealed && backup.sequence > newest[backup.set, default: 0]) else { continue }
            queue.append(
                Job(
                    id: backup.id, set: backup.set, sequence: backup.sequence, createdAt: backup.createdAt,
                    manifest: manifestPath(id: backup.id), fetch: copy ? nil : fetch))
            if copy { resumed.copies += 1 } else { resumed.fromArchives += 1 }
        }
        for id in copies where !known.contains(id) {
            try? Syscall.unlink(manifestPath(id: id))
            resumed.dropped += 1
        }
        queue.sort { $0.sequence < $1.sequence }
        drain()
        return resumed
    }

    /// Waits until every queued ingest is done (tests, the bench).
    public func settle() async {
        guard isDraining || !queue.isEmpty else { return }
        await withCheckedContinuation { settled.append($0) }
    }

    private func drain() {
        guard !isDraining, !queue.isEmpty else { return }
        isDraining = true
        Task { await self.run() }
    }

    private func run() async {
        while !queue.isEmpty {
            let job = queue.removeFirst()
            if let fetch = job.fetch {
                do throws(FileIndexError) { try await fetch(job.id, job.manifest) } catch {
                    try? Syscall.unlink(job.manifest)
                    lastProblem = error.description
                    logger.warning(
                        "file index: an earlier backup's manifest could not be read; it was left out",
                        metadata: ["backup.id": "\(job.id)", "error": "\(error)"])
                    continue
                }
            }
            let store = self.store
            let outcome = await BlockingPool.shared.run { () -> Result<IngestReport, FileIndexError> in
                defer { try? Syscall.unlink(job.manifest) }
                do throws(FileIndexError) {
                    return .success(
                        try store.ingest(id: job.id, set: job.set, sequence: job.sequence, createdAt: job.createdAt, manifest: job.manifest)
                    )
                } catch {
                    return .failure(error)
                }
            }
            switch outcome {
            case .success(let report):
                logger.debug(
                    "file index: backup added",
                    metadata: [
                        "backup.id": "\(report.backupID)", "files.entries": "\(report.entries)", "files.added": "\(report.added)",
                        "files.modified": "\(report.modified)", "files.removed": "\(report.removed)",
                        "files.seconds": "\((report.seconds * 1000).rounded() / 1000)",
                    ])
            case .failure(let error):
                lastProblem = error.description
                logger.warning("file index: a backup was left out", metadata: ["backup.id": "\(job.id)", "error": "\(error)"])
            }
        }
        isDraining = false
        for waiter in settled { waiter.resume() }
        settled = []
    }

    // MARK: Queries (each a read transaction on a blocking thread)

    public func backup(_ id: String) async throws(FileIndexError) -> IndexedBackup? { try await read { try $0.backup(id) } }

    public func backups(set: String) async throws(FileIndexError) -> [IndexedBackup] { try await read { try $0.backups(set: set) } }

    public func children(set: String, sequence: Int64, directory: String, after: String?, limit: Int) async throws(FileIndexError)
        -> [IndexedEntry]?
    {
        try await read { try $0.children(set: set, sequence: sequence, directory: directory, after: after, limit: limit) }
    }

    /// The versions of `path`, newest first, a page at a time (see ``FileIndexStore``).
    public func history(set: String, path: String, before: Int64? = nil, limit: Int = 1000) async throws(FileIndexError) -> (
        versions: [PathVersion], next: Int64?
    )? {
        try await read { try $0.history(set: set, path: path, before: before, limit: limit) }
    }

    public func changes(set: String, from: Int64, to: Int64, after: Int64, limit: Int) async throws(FileIndexError) -> (
        changes: [PathChange], next: Int64?
    )? {
        try await read { try $0.changes(set: set, from: from, to: to, after: after, limit: limit) }
    }

    private func read<T: Sendable>(_ body: @escaping @Sendable (FileIndexStore) throws -> T) async throws(FileIndexError) -> T {
        let store = self.store
        let outcome = await BlockingPool.shared.run { () -> Result<T, FileIndexError> in
            do { return .success(try body(store)) } catch { return .failure(FileIndexError("the file index could not be read: \(error)")) }
        }
        return try outcome.get()
    }
}
