public import PacaAge
public import PacaCore
import PacaSystem

/// Settings for writing an archive.
public struct CreationOptions: Sendable, Equatable {
    /// zlib level, 0 (store everything) to 9. The default, 2, keeps archives within about 2.5% of
    /// `zip -6`'s size on the benchmark corpus at many times its speed (see docs/performance.md);
    /// 6 matches zip's size at about three times the CPU.
    public var level: Int
    /// Compressor threads; defaults to the number of online CPUs.
    public var threads: Int
    /// Files larger than this are split into pieces of this size, compressed in parallel.
    public var pieceSize: Int
    /// Patterns for paths to leave out (see ``PathPattern``).
    public var excludes: [PathPattern]
    /// When not empty, the archive is sealed with age to these recipients as it is written
    /// (docs/encryption.md): what is stored is an age file with the ZIP inside.
    public var recipients: [AgeRecipient]
    /// When set, the manifest's text is also written to this file as it goes into the archive
    /// (pacad's file index reads it, so it never reads an archive back). A copy that cannot be
    /// written is left out (and removed) without failing the archive.
    public var manifestCopy: String?

    public static let defaultLevel = 2

    public init(
        level: Int = CreationOptions.defaultLevel, threads: Int? = nil, pieceSize: Int = 1 << 20, excludes: [PathPattern] = [],
        recipients: [AgeRecipient] = []
    ) {
        self.level = level
        self.threads = threads ?? SystemThread.processorCount
        self.pieceSize = pieceSize
        self.excludes = excludes
        self.recipients = recipients
    }

    func validated() throws(ArchiveError) -> CreationOptions {
        guard (0...9).contains(level) else { throw ArchiveError(.invalidArgument, "compression level \(level) is out of range 0-9") }
        guard (1...256).contains(threads) else { throw ArchiveError(.invalidArgument, "thread count \(threads) is out of range 1-256") }
        guard pieceSize >= 64 << 10 && pieceSize <= 64 << 20 else {
            throw ArchiveError(.invalidArgument, "piece size \(pieceSize) is out of range 64 KiB-64 MiB")
        }
        return self
    }
}

/// Progress of a running ``ArchiveCreator/create(sources:at:header:options:progress:isCancelled:)``.
public struct CreationProgress: Sendable, Equatable {
    public var files: Int
    /// Bytes of file contents written so far.
    public var bytes: UInt64
    /// Archive bytes written so far.
    public var archiveBytes: UInt64
}

/// What an archive written into an ``ArchiveSink`` holds. Encoded with the snake_case keys of
/// `pacactl archive create --json`.
public struct StreamedArchive: Sendable, Equatable, Codable {
    /// Every file of the tree: held in this archive, held in another backup's, or another name
    /// of a hard-linked file.
    public var files: Int
    public var directories: Int
    public var symlinks: Int
    /// FIFOs, sockets and device nodes recorded (no data; a restore makes them again).
    public var specials: Int = 0
    /// Bytes of file contents read and stored.
    public var bytesIn: UInt64
    /// Size of the archive.
    public var bytesStored: UInt64
    /// SHA-256 of the whole archive, hex.
    public var sha256: String
    /// SHA-256 of its manifest entry's contents, hex: what the catalog keeps to know the archive's
    /// manifest (and through it every file's digest) is the one written.
    public var manifestSha256: String?
    public var seconds: Double
    /// Things skipped on purpose (sockets, fifos, devices).
    public var warnings: [SourceProblem]
    /// Files that could not be read, or could be read only in part.
    public var errors: [SourceProblem]
    /// Files that changed while they were read; each is stored as it was read, consistently.
    public var changed: [String]
    /// Files whose bytes another backup's archive holds (unchanged since the base), and their bytes.
    public var filesReferenced: Int = 0
    public var bytesReferenced: UInt64 = 0
    /// Second and later names of hard-linked files (stored once, restored as links).
    public var links: Int = 0
    /// The backups whose archives hold the referenced files, sorted.
    public var references: [String] = []
    /// Files read only to compare them with the base, and found unchanged.
    public var rehashed: Int = 0
    /// Unchanged files whose compressed bytes were copied from a retiring backup's archive.
    public var carried: Int = 0
    /// Large files new by name whose contents the base holds under another name (renamed, moved
    /// or copied): referenced, not stored.
    public var moved: Int = 0
    /// Bytes of every file of the tree (held here, referenced, or another name of a hard link).
    public var bytesTotal: UInt64 = 0

    enum CodingKeys: String, CodingKey {
        case files, directories, symlinks, sha256, seconds, warnings, errors, changed, links, references, rehashed, carried, moved
        case bytesIn = "bytes_in"
        case bytesStored = "bytes_stored"
        case filesReferenced = "files_referenced"
        case bytesReferenced = "bytes_referenced"
        case bytesTotal = "bytes_total"
        case manifestSha256 = "manifest_sha256"
    }
}

/// What an incremental backup compares its tree with, and where it writes its own change index.
public struct ChangeTracking: Sendable {
    /// The change index of the backup to compare with (see ``ChangeIndex``); nil writes every
    /// file's bytes (a full archive) and still writes this backup's index.
    public var base: String?
    public var detection: ChangeDetection
    /// Where this backup's change index goes. It is written to `indexPath + ".new"` and synced;
    /// ``ChangeIndex/commit(_:)`` puts it in place once the backup is safe.
    public var indexPath: String
    /// The archives of retiring backups (``ChangeDetection/retiring``), by backup id: their
    /// unchanged files' compressed bytes are copied from them. A retiring backup without one
    /// has its files read from the source again.
    public var carrySources: [String: any ArchiveByteSource]

    public init(
        base: String?, detection: ChangeDetection = ChangeDetection(), indexPath: String,
        carrySources: [String: any ArchiveByteSource] = [:]
    ) {
        self.base = base
        self.detection = detection
        self.indexPath = indexPath
        self.carrySources = carrySources
    }
}

/// What an archive creation did: where the archive and its sidecar are, and what it holds
/// (``StreamedArchive``'s fields read through, `result.files`, and encode beside these two).
@dynamicMemberLookup
public struct CreationResult: Sendable, Equatable, Codable {
    /// Path of the finished archive.
    public var archive: String
    /// Path of its `sha256sum` sidecar.
    public var sidecar: String
    public var contents: StreamedArchive

    init(archive: String, sidecar: String, contents: StreamedArchive) {
        self.archive = archive
        self.sidecar = sidecar
        self.contents = contents
    }

    public subscript<Value>(dynamicMember keyPath: KeyPath<StreamedArchive, Value>) -> Value { contents[keyPath: keyPath] }

    enum CodingKeys: String, CodingKey {
        case archive, sidecar
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        archive = try c.decode(String.self, forKey: .archive)
        sidecar = try c.decode(String.self, forKey: .sidecar)
        contents = try StreamedArchive(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(archive, forKey: .archive)
        try c.encode(sidecar, forKey: .sidecar)
        try contents.encode(to: encoder)
    }
}

/// Writes backup archives: standard ZIP files (deflate through zlib, ZIP64 when needed, Unix modes,
/// mtimes and symlinks as Info-ZIP stores them) with a `.paca/manifest.json` entry and a
/// `sha256sum` sidecar.
///
/// Files are read by one thread, compressed by `threads` threads (large files in independent
/// pieces), and written in order by the calling thread, which this call blocks. Memory stays
/// around `6 × threads` pieces (input and compressed) whatever the corpus. ``create(sources:at:header:options:progress:isCancelled:)``
/// writes a file through ``PartialArchiveFile``; ``stream(sources:into:spoolDirectory:header:options:skipping:progress:isCancelled:)``
/// writes into any ``ArchiveSink`` (an upload, several targets at once).
public enum ArchiveCreator {
    /// Creates the archive at `destination` from `sources`. Throws if `destination` exists.
    ///
    /// Per-file problems do not fail the call: they are in the result's `errors` and `warnings`.
    /// `progress` is called from the calling thread about ten times a second.
    public static func create(
        sources: [String],
        at destination: String,
        header: ManifestHeader,
        options: CreationOptions = CreationOptions(),
        tracking: ChangeTracking? = nil,
        progress: ((CreationProgress) -> Void)? = nil,
        isCancelled: @escaping @Sendable () -> Bool = { false }
    ) throws(ArchiveError) -> CreationResult {
        let file = try PartialArchiveFile(destination: destination)
        let contents = try stream(
            sources: sources, into: file, spoolDirectory: PathText.directory(of: destination), header: header, options: options,
            skipping: [file.partialPath], tracking: tracking, progress: progress, isCancelled: isCancelled)
        try file.commit(sha256: contents.sha256)
        return CreationResult(archive: destination, sidecar: file.sidecarPath, contents: contents)
    }

    /// Writes the archive of `sources` into `sink`, front to back, and returns what it holds.
    /// The sink is not finished: committing (or abandoning) what it got is the caller's.
    ///
    /// Spool files for the central directory and the manifest go to `spoolDirectory` (unlinked
    /// at once, so nothing is left behind). Files at `skipping` are never archived (the archive's
    /// own partial file, when a source folder holds the target).
    public static func stream(
        sources: [String],
        into sink: any ArchiveSink,
        spoolDirectory: String,
        header: ManifestHeader,
        options: CreationOptions = CreationOptions(),
        skipping: [String] = [],
        tracking: ChangeTracking? = nil,
        progress: ((CreationProgress) -> Void)? = nil,
        isCancelled: @escaping @Sendable () -> Bool = { false }
    ) throws(ArchiveError) -> StreamedArchive {
        let started = SystemTime.monotonic()
        let options = try options.validated()
        let walker = try SourceWalker(roots: sources, excludes: options.excludes)
        let identities = skipping.compactMap { try? Syscall.lstat($0) }
        let sealing = options.recipients.isEmpty ? nil : try SealingSink(sink, recipients: options.recipients)
        let output = ArchiveOutput(sink: sealing ?? sink, hashes: sealing == nil)

        // A base index that cannot be opened makes a full archive, never a failed backup.
        let base = tracking?.base.flatMap { try? ChangeIndexReader(path: $0) }.map {
            ChangeIndexCursor(reader: $0, roots: walker.rootNames)
        }
        let index = try tracking.map { (tracking) throws(ArchiveError) in
            try ChangeIndexWriter(path: tracking.indexPath, backupID: header.backupID, roots: walker.rootNames)
        }
        var isIndexKept = false
        defer { if !isIndexKept { index?.abandon() } }
        let queue = WorkQueue(capacity: 64 * options.threads, byteLimit: 3 * options.threads * options.pieceSize)
        let reader = try SourceReader(
            walker: walker, queue: queue, pieceSize: options.pieceSize, level: options.level, skipping: identities,
            base: base, contents: base == nil ? nil : tracking?.base.flatMap(ContentIndex.init(path:)),
            change: tracking?.detection ?? ChangeDetection(), carriers: HolderArchives(tracking?.carrySources ?? [:]),
            isCancelled: isCancelled)
        let writer: ArchiveStreamWriter
        do {
            writer = try ArchiveStreamWriter(
                output: output, spoolDirectory: spoolDirectory, header: header, level: options.level, index: index,
                manifestCopy: options.manifestCopy)
        } catch {
            throw ArchiveError(error)
        }
        let threads = ThreadGroup()
        threads.spawn { reader.run() }
        for _ in 0..<options.threads {
            threads.spawn { PieceCompressor.serve(queue, level: options.level) }
        }

        let size: UInt64
        let digest: String
        do {
            var lastReport = SystemTime.monotonic()
            while let unit = try queue.nextReady() {
                try writer.write(unit)
                if let progress, SystemTime.monotonic() - lastReport >= 0.1 {
                    lastReport = SystemTime.monotonic()
                    progress(
                        CreationProgress(files: writer.totals.files, bytes: writer.totals.bytesProcessed, archiveBytes: output.position))
                }
            }
            let zipSize = try writer.finish(createdAt: header.createdAt)
            let zipDigest = try output.finish()
            // What is stored, and what the sidecar covers, is the age file when sealing.
            (digest, size) = try sealing?.finish() ?? (zipDigest ?? "", zipSize)
            try index?.finish()
            index?.close()
            isIndexKept = true
        } catch {
            queue.fail(error)
            threads.joinAll()
            throw error
        }
        threads.joinAll()
        let totals = writer.totals
        progress?(CreationProgress(files: totals.files, bytes: totals.bytesIn, archiveBytes: size))
        return StreamedArchive(
            files: totals.files + totals.referenced + totals.links, directories: totals.directories, symlinks: totals.symlinks,
            specials: totals.specials, bytesIn: totals.bytesIn, bytesStored: size, sha256: digest,
            manifestSha256: writer.manifestDigest,
            seconds: SystemTime.monotonic() - started,
            warnings: reader.warnings, errors: reader.errors, changed: reader.changed, filesReferenced: totals.referenced,
            bytesReferenced: totals.bytesReferenced, links: totals.links, references: writer.references.sorted(),
            rehashed: reader.rehashed, carried: totals.carried, moved: reader.moved,
            bytesTotal: totals.bytesIn + totals.bytesReferenced + totals.bytesLinked)
    }

    /// Counts the files and bytes `create` would read, by walking the sources without reading
    /// them (for a progress bar's total). Costs one `lstat` per entry.
    public static func estimate(sources: [String], excludes: [PathPattern]) throws(ArchiveError) -> (files: Int, bytes: UInt64) {
        var walker = try SourceWalker(roots: sources, excludes: excludes)
        var files = 0
        var bytes: UInt64 = 0
        while let item = walker.next() {
            guard item.kind == .file else { continue }
            files += 1
            bytes += UInt64(item.info.size)
        }
        return (files, bytes)
    }
}
