import Crypto
public import PacaAge
import PacaSystem

/// One thing wrong with an archive or one entry, as found by ``ArchiveVerifier`` or ``ArchiveExtractor``.
public struct ArchiveProblem: Sendable, Equatable, Codable {
    public var code: ArchiveError.Code
    /// The entry it concerns; nil for the archive as a whole (sidecar, manifest).
    public var entry: String?
    public var offset: Int64?
    public var message: String

    public init(_ code: ArchiveError.Code, _ message: String, entry: String? = nil) {
        self.init(ArchiveError(code, message, entry: entry))
    }

    init(_ error: ArchiveError) {
        code = error.code
        entry = error.entry
        offset = error.offset
        message = error.message
    }
}

/// The digests the catalog recorded for an archive when it was written.
public struct CatalogDigests: Sendable, Equatable {
    /// SHA-256 of the whole archive.
    public var sha256: String?
    /// SHA-256 of its manifest entry.
    public var manifestSha256: String?

    public init(sha256: String?, manifestSha256: String?) {
        self.sha256 = sha256?.lowercased()
        self.manifestSha256 = manifestSha256?.lowercased()
    }
}

/// What a verification found.
public struct VerificationResult: Sendable, Equatable, Encodable {
    public var archive: String
    public var entries: Int
    /// Bytes of entry contents decompressed and checked.
    public var bytes: UInt64
    public var seconds: Double
    /// "ok", "mismatch" or "missing" for the `<archive>.sha256` sidecar.
    public var sidecar: String
    /// True when the manifest was found and every file's SHA-256 was compared with it.
    public var hasManifest: Bool
    /// SHA-256 of the whole archive as read now, hex (nil when it could not be read to the end).
    public var sha256: String?
    /// SHA-256 of its manifest entry, hex (nil without a readable manifest).
    public var manifestSha256: String?
    /// For a cataloged backup: "ok" when the archive and its manifest have the digests recorded
    /// when it was written, "mismatch" when not, "unknown" when the catalog has none. Nil for an
    /// archive checked on its own.
    public var catalog: String?
    public var problems: [ArchiveProblem]
    /// True for an archive sealed with age (docs/encryption.md).
    public var isSealed = false
    /// False when only the stored bytes were checked (a sealed archive without an identity):
    /// the sidecar and the catalog's SHA-256, not the entries.
    public var contentsChecked = true

    /// True when nothing is wrong: every CRC-32 and SHA-256 matched, and the sidecar if present.
    public var isValid: Bool { problems.isEmpty }

    enum CodingKeys: String, CodingKey {
        case archive, entries, bytes, seconds, sidecar, problems
        case hasManifest = "has_manifest"
        case isValid = "ok"
        case sha256, catalog
        case manifestSha256 = "manifest_sha256"
        case isSealed = "sealed"
        case contentsChecked = "contents_checked"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(archive, forKey: .archive)
        try c.encode(isValid, forKey: .isValid)
        try c.encode(entries, forKey: .entries)
        try c.encode(bytes, forKey: .bytes)
        try c.encode(seconds, forKey: .seconds)
        try c.encode(sidecar, forKey: .sidecar)
        try c.encode(hasManifest, forKey: .hasManifest)
        try c.encode(sha256, forKey: .sha256)
        try c.encode(manifestSha256, forKey: .manifestSha256)
        try c.encodeIfPresent(catalog, forKey: .catalog)
        try c.encode(problems, forKey: .problems)
        try c.encode(isSealed, forKey: .isSealed)
        try c.encode(contentsChecked, forKey: .contentsChecked)
    }
}

/// Checks an archive end to end: every entry's CRC-32, every file's SHA-256 against the manifest,
/// the manifest against the central directory, and the whole file against its `sha256sum`
/// sidecar when there is one. Reports every problem it finds, not just the first. Entries are
/// checked in parallel on `threads` threads.
public enum ArchiveVerifier {
    /// With `cataloged` (the digests the catalog recorded when the archive was written) the archive
    /// is held to them, and a missing sidecar is a problem too: a consistent rewrite of entries,
    /// manifest and CRCs, with the sidecar removed, is caught. Without it the archive is checked on
    /// its own, against its sidecar when there is one. With `pacer`, every read (entries and the
    /// whole-file digest) keeps to its rate, and a stopped pacer ends the check with
    /// ``ArchiveError/Code/cancelled``.
    ///
    /// Memory stays flat however many entries the archive has: the central directory and the
    /// manifest are read side by side, one entry at a time (pacad writes them in the same order),
    /// and entries are checked in batches in archive order. An archive laid out otherwise is
    /// checked whole (``verifyWhole(_:source:cataloged:threads:pacer:progress:)``).
    ///
    /// An archive sealed with age is decrypted with `identities` and checked the same way, its
    /// sidecar and the catalog's SHA-256 against the stored (encrypted) bytes; without an
    /// identity only those are checked, and the result says the contents were not.
    public static func verify(
        _ path: String, identities: [AgeIdentity] = [], cataloged: CatalogDigests? = nil, threads: Int? = nil,
        pacer: ReadPacer? = nil, progress: (@Sendable (UInt64) -> Void)? = nil
    ) throws(ArchiveError) -> VerificationResult {
        let started = SystemTime.monotonic()
        let file = try FileByteSource(path: path)
        let isSealed = SealedByteSource.isSealed(file)
        if isSealed && identities.isEmpty {
            return verifyStoredBytes(path, cataloged: cataloged, pacer: pacer, started: started)
        }
        let source: any ArchiveByteSource = isSealed ? try SealedByteSource(file, identities: identities) : file
        var result = try verifyContents(
            path, source: source, cataloged: cataloged, threads: threads, pacer: pacer, progress: progress, started: started)
        result.isSealed = isSealed
        return result
    }

    /// The entries of an archive read through `source` where its stored file is not (a sealed
    /// backup that pacactl decrypts from a restore session): every CRC-32 and SHA-256, and the
    /// manifest against `manifestSha256`, the catalog's. The stored bytes (the sidecar, the
    /// catalog's SHA-256) are the side's that holds them; the result's `sidecar` says "not checked".
    public static func verifyEntries(
        _ source: any ArchiveByteSource, manifestSha256: String?, threads: Int? = nil, progress: (@Sendable (UInt64) -> Void)? = nil
    ) throws(ArchiveError) -> VerificationResult {
        try verifyContents(
            source.name, source: source, cataloged: CatalogDigests(sha256: nil, manifestSha256: manifestSha256), threads: threads,
            pacer: nil, progress: progress, started: SystemTime.monotonic(), holdsStoredBytes: false)
    }

    /// A sealed archive checked without its key: the stored bytes against the sidecar and the
    /// catalog's SHA-256.
    static func verifyStoredBytes(_ path: String, cataloged: CatalogDigests?, pacer: ReadPacer?, started: Double) -> VerificationResult {
        var result = conclude(
            path, entries: 0, bytes: 0, started: started, sidecar: readSidecar(path + ".sha256"), digest: fileDigest(path, pacer: pacer),
            manifestSha256: nil, hasManifest: false,
            cataloged: cataloged.map { CatalogDigests(sha256: $0.sha256, manifestSha256: nil) }, problems: [])
        result.isSealed = true
        result.contentsChecked = false
        return result
    }

    static func verifyContents(
        _ path: String, source: any ArchiveByteSource, cataloged: CatalogDigests?, threads: Int?, pacer: ReadPacer?,
        progress: (@Sendable (UInt64) -> Void)?, started: Double, holdsStoredBytes: Bool = true
    ) throws(ArchiveError) -> VerificationResult {
        let archive = try ArchiveReader(source: source, readingDirectory: false)
        // First pass over the directory: where the manifest is (the last entry of its name).
        let manifestEntry = try StreamedExtraction.manifestEntry(of: archive)
        let whole = { () throws(ArchiveError) -> VerificationResult in
            try verifyWhole(
                path, source: source, cataloged: cataloged, threads: threads, pacer: pacer, progress: progress,
                holdsStoredBytes: holdsStoredBytes)
        }
        guard let manifestEntry, let lines = try? ManifestLines(manifestEntry, in: archive) else { return try whole() }
        let threads = threads ?? SystemThread.processorCount
        let state = VerificationState(progress: progress)
        let sidecar = holdsStoredBytes ? Self.readSidecar(path + ".sha256") : nil
        // The whole-file digest: beside the entries, or first when reading on one thread (a scrub).
        let digestThread = ThreadGroup()
        let isIdle = SystemThread.ioPriorityClass == 3
        if !holdsStoredBytes {
            // Not here to read.
        } else if threads > 1 {
            digestThread.spawn {
                if isIdle { SystemThread.lowerIOPriority() }
                state.setFileDigest(Self.fileDigest(path, pacer: pacer))
            }
        } else {
            state.setFileDigest(Self.fileDigest(path, pacer: pacer))
        }
        var problems: [ArchiveProblem] = []
        var manifestReadable = true
        var outOfOrder = false
        // Files put together from segments, and the sizes of part entries, for the check at the end.
        var segmented: [Manifest.Entry] = []
        var partSizes: [String: UInt64] = [:]
        func nextHeld() -> Manifest.Entry? {
            guard manifestReadable else { return nil }
            do {
                while let line = try lines.next() {
                    if line.segments != nil { segmented.append(line) }
                    if line.isHeldHere { return line }
                }
            } catch {
                problems.append(ArchiveProblem(error))
                manifestReadable = false
            }
            return nil
        }
        var batch: [(entry: ArchiveEntry, sha256: String?)] = []
        var batchBytes: UInt64 = 0
        var entryCount = 0
        func flush() {
            let jobs = batch
            parallelLoop(
                count: jobs.count, threads: threads,
                context: { () -> Result<EntryStreamer, ArchiveError> in
                    if isIdle { SystemThread.lowerIOPriority() }
                    return Result { () throws(ArchiveError) in try EntryStreamer() }
                }
            ) { streamer, index in
                Self.check(jobs[index].entry, digest: jobs[index].sha256, in: archive, streamer: streamer, state: state, pacer: pacer)
            }
            batch.removeAll(keepingCapacity: true)
            batchBytes = 0
        }
        var line = nextHeld()
        var directory = archive.directoryCursor()
        while let entry = try directory.next() {
            entryCount += 1
            if entry.path == Manifest.entryPath { continue }
            if PartLayout.isPartPath(entry.path) { partSizes[entry.path] = entry.size }
            var digest: String?
            if manifestReadable {
                if let listed = line, listed.path == entry.path {
                    if listed.type != entry.kind || listed.size != entry.size {
                        problems.append(Self.differs(listed, entry))
                    }
                    digest = entry.kind == .file ? listed.sha256 : nil
                    line = nextHeld()
                } else {
                    outOfOrder = true
                    problems.append(ArchiveProblem(ArchiveError(.corrupt, "the entry is not listed in the manifest", entry: entry.path)))
                }
            }
            guard entry.kind == .file || entry.kind == .symlink else { continue }
            batch.append((entry, digest))
            batchBytes += entry.compressedSize
            if batch.count >= 4096 || batchBytes >= 256 << 20 {
                flush()
                if pacer?.isStopped == true { break }
            }
        }
        flush()
        while let listed = line {
            outOfOrder = true
            problems.append(
                ArchiveProblem(
                    ArchiveError(.corrupt, "the manifest lists this entry but the archive does not contain it", entry: listed.path)))
            line = nextHeld()
        }
        digestThread.joinAll()
        if pacer?.isStopped == true { throw ArchiveError(.cancelled, "the check of \(path) was stopped") }
        // Entries in another order than the manifest's: not pacad's layout; the whole check pairs them by name.
        if outOfOrder && entryCount <= 200_000 { return try whole() }
        for file in segmented {
            for segment in file.segments ?? [] where segment.holder == nil {
                guard let size = partSizes[segment.entry] else {
                    problems.append(
                        ArchiveProblem(ArchiveError(.corrupt, "its segment entry \(segment.entry) is not in the archive", entry: file.path))
                    )
                    continue
                }
                if segment.offset > size || segment.size > size - segment.offset {
                    problems.append(
                        ArchiveProblem(
                            ArchiveError(.corrupt, "its segment reaches past the end of \(segment.entry) (\(size) bytes)", entry: file.path)
                        ))
                }
            }
        }
        let manifestSha256 = manifestReadable ? lines.sha256 : nil
        if let expected = cataloged?.manifestSha256, let manifestSha256, manifestSha256 != expected {
            problems.insert(ArchiveProblem(ArchiveError.manifestMismatch(actual: manifestSha256, expected: expected)), at: 0)
        }
        problems += state.problems.sorted { ($0.entry ?? "", $0.message) < ($1.entry ?? "", $1.message) }
        return conclude(
            path, entries: entryCount, bytes: state.bytes.total, started: started, sidecar: sidecar, digest: state.fileDigest,
            manifestSha256: manifestSha256, hasManifest: manifestReadable, cataloged: cataloged, problems: problems,
            holdsStoredBytes: holdsStoredBytes)
    }

    /// Streams one entry, checking its CRC-32 and, for a file, the SHA-256 `digest` the manifest gives.
    static func check(
        _ entry: ArchiveEntry, digest: String?, in archive: ArchiveReader, streamer: Result<EntryStreamer, ArchiveError>,
        state: VerificationState, pacer: ReadPacer?
    ) {
        var hasher = SHA256()
        do {
            try streamer.get().stream(entry, from: archive) { (block) throws(ArchiveError) in
                if digest != nil { hasher.update(bufferPointer: block) }
                state.bytes.add(UInt64(block.count))
                if let pacer, !pacer.take(block.count) { throw ArchiveError(.cancelled, "the check was stopped") }
            }
            if let digest {
                let actual = hasher.finalize().hexString
                if actual != digest {
                    throw ArchiveError(
                        .checksumMismatch, "SHA-256 mismatch: the data gives \(actual), the manifest says \(digest)", entry: entry.path)
                }
            }
        } catch let error as ArchiveError {
            if error.code != .cancelled { state.report(ArchiveProblem(error)) }
        } catch {
            state.report(ArchiveProblem(ArchiveError(.io, "\(error)", entry: entry.path)))
        }
    }

    /// The problem of an entry the manifest describes as another kind or size.
    static func differs(_ listed: Manifest.Entry, _ entry: ArchiveEntry) -> ArchiveProblem {
        ArchiveProblem(
            ArchiveError(
                .corrupt,
                "the manifest lists a \(listed.type.rawValue) of \(listed.size) bytes, the archive holds a \(entry.kind.rawValue) of \(entry.size) bytes",
                entry: entry.path))
    }

    /// The whole-archive check: the central directory and the manifest held in memory. For
    /// archives whose manifest is not laid out one entry per line, or whose entries are not in
    /// the manifest's order (not written by pacad), when the streaming check cannot pair them.
    static func verifyWhole(
        _ path: String, source: any ArchiveByteSource, cataloged: CatalogDigests?, threads: Int?, pacer: ReadPacer?,
        progress: (@Sendable (UInt64) -> Void)?, holdsStoredBytes: Bool = true
    ) throws(ArchiveError) -> VerificationResult {
        let started = SystemTime.monotonic()
        let archive = try ArchiveReader(source: source)
        var problems: [ArchiveProblem] = []
        let loaded = Self.loadManifest(archive, problems: &problems)
        let manifest = loaded?.manifest
        if let expected = cataloged?.manifestSha256, let loaded, loaded.sha256 != expected {
            problems.append(ArchiveProblem(ArchiveError.manifestMismatch(actual: loaded.sha256, expected: expected)))
        }
        var expected: [String: Manifest.Entry] = [:]
        if let manifest {
            for entry in manifest.entries { expected[entry.path] = entry }
            problems += Self.compare(manifest: expected, with: archive.entries)
        }

        let jobs = archive.entries.indices.sorted { archive.entries[$0].compressedSize > archive.entries[$1].compressedSize }
        let sidecarPath = path + ".sha256"
        let sidecar = holdsStoredBytes ? Self.readSidecar(sidecarPath) : nil
        let state = VerificationState(progress: progress)
        // Job -1 takes the whole file's digest; it is the longest, so it goes first.
        let allJobs = (holdsStoredBytes ? [-1] : []) + jobs
        parallelLoop(
            count: allJobs.count, threads: threads ?? SystemThread.processorCount,
            context: { Result { () throws(ArchiveError) in try EntryStreamer() } }
        ) { streamer, index in
            let job = allJobs[index]
            if job < 0 {
                state.setFileDigest(Self.fileDigest(path, pacer: pacer))
                return
            }
            let entry = archive.entries[job]
            guard entry.kind == .file || entry.kind == .symlink else { return }
            Self.check(
                entry, digest: entry.kind == .file ? expected[entry.path]?.sha256 : nil, in: archive, streamer: streamer, state: state,
                pacer: pacer)
        }
        problems += state.problems.sorted { ($0.entry ?? "", $0.message) < ($1.entry ?? "", $1.message) }
        if pacer?.isStopped == true { throw ArchiveError(.cancelled, "the check of \(path) was stopped") }
        return conclude(
            path, entries: archive.entries.count, bytes: state.bytes.total, started: started, sidecar: sidecar,
            digest: state.fileDigest, manifestSha256: loaded?.sha256, hasManifest: manifest != nil, cataloged: cataloged,
            problems: problems, holdsStoredBytes: holdsStoredBytes)
    }

    /// What every check ends with: the whole file against its sidecar, and against the catalog.
    static func conclude(
        _ path: String, entries: Int, bytes: UInt64, started: Double, sidecar: (digest: String, name: String)?, digest: String?,
        manifestSha256: String?, hasManifest: Bool, cataloged: CatalogDigests?, problems: [ArchiveProblem],
        holdsStoredBytes: Bool = true
    ) -> VerificationResult {
        var problems = problems
        let sidecarPath = path + ".sha256"
        var sidecarStatus = "missing"
        if !holdsStoredBytes {
            sidecarStatus = "not checked"
        } else if let sidecar {
            if digest != nil && digest == sidecar.digest {
                sidecarStatus = "ok"
            } else {
                sidecarStatus = "mismatch"
                problems.append(
                    ArchiveProblem(
                        ArchiveError(.checksumMismatch, "the archive's SHA-256 does not match \(sidecarPath) (\(sidecar.digest))")))
            }
        } else if cataloged != nil {
            problems.append(ArchiveProblem(ArchiveError(.notFound, "the sidecar \(sidecarPath) is missing")))
        }
        var catalogStatus: String?
        if let cataloged {
            catalogStatus = "unknown"
            if let expected = cataloged.sha256, holdsStoredBytes {
                catalogStatus = digest == expected ? "ok" : "mismatch"
                if digest != expected {
                    problems.append(
                        ArchiveProblem(
                            ArchiveError(
                                .checksumMismatch,
                                "the archive's SHA-256 is \(digest ?? "unreadable"), the catalog recorded \(expected) when it was written: it is not the archive that was written"
                            )))
                }
            }
            if let expected = cataloged.manifestSha256 {
                catalogStatus = manifestSha256 != expected ? "mismatch" : (holdsStoredBytes ? catalogStatus : "ok")
            }
        }
        return VerificationResult(
            archive: path, entries: entries, bytes: bytes, seconds: SystemTime.monotonic() - started,
            sidecar: sidecarStatus, hasManifest: hasManifest, sha256: digest, manifestSha256: manifestSha256, catalog: catalogStatus,
            problems: problems)
    }

    /// Reads every file of `manifest` whose bytes another backup's archive holds, from that archive
    /// in `references` (a file put together from segments, from each archive that holds one, `own`
    /// for this backup's part entries), checking CRC-32s and the manifest's SHA-256. Returns what
    /// is wrong.
    public static func verifyReferencedFiles(
        _ manifest: Manifest, own: (any ArchiveByteSource)? = nil, references: [String: any ArchiveByteSource], threads: Int? = nil,
        progress: (@Sendable (UInt64) -> Void)? = nil
    ) -> [ArchiveProblem] {
        var problems: [ArchiveProblem] = []
        var jobs: [(FilePlan.Job.Source, Manifest.Entry)] = []
        var sources = references
        if let own { sources[manifest.backupID] = own }
        let holders = HolderArchives(sources)
        func find(_ path: String, in holder: String, for line: Manifest.Entry) -> (ArchiveReader, ArchiveEntry)? {
            switch holders.lookup(path, in: holder) {
            case .found(let reader, let entry) where entry.kind == .file: return (reader, entry)
            case .unavailable(let why): problems.append(ArchiveProblem(.notFound, why, entry: line.path))
            case .found, .missing:
                problems.append(ArchiveProblem(.notFound, "backup \(holder)'s archive has no entry \(path) for it", entry: line.path))
            }
            return nil
        }
        for line in manifest.entries where line.type == .file {
            if let segments = line.segments {
                var resolved: [ResolvedSegment] = []
                for segment in segments {
                    guard let (reader, entry) = find(segment.entry, in: segment.holder ?? manifest.backupID, for: line) else { break }
                    resolved.append(ResolvedSegment(archive: reader, entry: entry, offset: segment.offset, size: segment.size))
                }
                if resolved.count == segments.count { jobs.append((.segments(resolved), line)) }
            } else if let holder = line.holder, let (reader, entry) = find(line.path, in: holder, for: line) {
                jobs.append((.entry(reader, entry), line))
            }
        }
        let state = VerificationState(progress: progress)
        parallelLoop(
            count: jobs.count, threads: threads ?? SystemThread.processorCount,
            context: { Result { () throws(ArchiveError) in try EntryStreamer() } }
        ) { streamer, index in
            let (source, line) = jobs[index]
            var hasher = SHA256()
            do {
                try FilePlan.Job(source: source, placement: Placement(line, fallback: nil)).stream(streamer: try streamer.get()) { block in
                    hasher.update(bufferPointer: block)
                    state.bytes.add(UInt64(block.count))
                }
                let actual = hasher.finalize().hexString
                if actual != line.sha256 {
                    let holders = line.holders.joined(separator: ", ")
                    throw ArchiveError(
                        .checksumMismatch,
                        "SHA-256 mismatch in backup \(holders)'s archive: the data gives \(actual), the manifest says \(line.sha256 ?? "-")",
                        entry: line.path)
                }
            } catch let error as ArchiveError {
                state.report(ArchiveProblem(error.at(entry: line.path)))
            } catch {
                state.report(ArchiveProblem(ArchiveError(.io, "\(error)", entry: line.path)))
            }
        }
        return problems + state.problems.sorted { ($0.entry ?? "", $0.message) < ($1.entry ?? "", $1.message) }
    }

    /// Reads and decodes the manifest entry; a missing or broken manifest becomes a problem.
    static func loadManifest(_ archive: ArchiveReader, problems: inout [ArchiveProblem]) -> (manifest: Manifest, sha256: String)? {
        guard archive.entries.contains(where: { $0.path == Manifest.entryPath }) else {
            problems.append(
                ArchiveProblem(
                    ArchiveError(.corrupt, "the archive has no \(Manifest.entryPath), so file contents can be checked by CRC-32 only")))
            return nil
        }
        do {
            return try archive.manifestWithDigest()
        } catch {
            problems.append(ArchiveProblem(error))
            return nil
        }
    }

    /// Entries the manifest lists that the archive lacks or describes differently, and the reverse.
    static func compare(manifest: [String: Manifest.Entry], with entries: [ArchiveEntry]) -> [ArchiveProblem] {
        var problems: [ArchiveProblem] = []
        var seen = Set<String>()
        for entry in entries where entry.path != Manifest.entryPath {
            seen.insert(entry.path)
            guard let listed = manifest[entry.path] else {
                problems.append(ArchiveProblem(ArchiveError(.corrupt, "the entry is not listed in the manifest", entry: entry.path)))
                continue
            }
            if listed.type != entry.kind || listed.size != entry.size { problems.append(Self.differs(listed, entry)) }
        }
        // Files another backup's archive holds, and other names of hard links, have no entry here.
        for path in manifest.keys.sorted() where !seen.contains(path) && manifest[path]?.isHeldHere != false {
            problems.append(
                ArchiveProblem(ArchiveError(.corrupt, "the manifest lists this entry but the archive does not contain it", entry: path)))
        }
        // A file put together from segments: those in this archive must lie within its entries.
        let sizes = Dictionary(entries.map { ($0.path, $0.size) }, uniquingKeysWith: { _, last in last })
        for path in manifest.keys.sorted() {
            for segment in manifest[path]?.segments ?? [] where segment.holder == nil {
                guard let size = sizes[segment.entry] else {
                    problems.append(
                        ArchiveProblem(ArchiveError(.corrupt, "its segment entry \(segment.entry) is not in the archive", entry: path)))
                    continue
                }
                if segment.offset > size || segment.size > size - segment.offset {
                    problems.append(
                        ArchiveProblem(
                            ArchiveError(.corrupt, "its segment reaches past the end of \(segment.entry) (\(size) bytes)", entry: path)))
                }
            }
        }
        return problems
    }

    /// The digest and file name from a `sha256sum`-format sidecar, or nil when there is none.
    static func readSidecar(_ path: String) -> (digest: String, name: String)? {
        guard let fd = try? Syscall.open(path, .readOnly) else { return nil }
        defer { Syscall.close(fd) }
        var bytes = [UInt8](repeating: 0, count: 4096)
        let n = (try? bytes.withMutableBytes { (raw) throws(SystemError) -> Int in try Syscall.read(fd, raw, path: path) }) ?? 0
        let text = String(decoding: bytes[..<n], as: UTF8.self)
        let parts = text.split(separator: " ", maxSplits: 1)
        guard parts.count == 2 else { return ("", "") }
        return (String(parts[0]).lowercased(), parts[1].trimmingCharacters(in: " *\n"))
    }

    /// SHA-256 of a whole file, hex, or nil if it cannot be read.
    static func fileDigest(_ path: String, pacer: ReadPacer? = nil) -> String? {
        guard let fd = try? Syscall.open(path, .readOnly) else { return nil }
        defer { Syscall.close(fd) }
        Syscall.adviseSequential(fd)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        var hasher = SHA256()
        while true {
            guard let n = try? Syscall.read(fd, buffer, path: path) else { return nil }
            if n == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            if let pacer, !pacer.take(n) { return nil }
        }
        return hasher.finalize().hexString
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> String {
        var s = self
        while let c = s.first, set.contains(c) { s = s.dropFirst() }
        while let c = s.last, set.contains(c) { s = s.dropLast() }
        return String(s)
    }
}

/// Shared, locked state of a parallel verification: bytes checked, problems, the sidecar verdict.
final class VerificationState: @unchecked Sendable {
    private let lock = ConditionLock()
    let bytes: ByteProgress
    private(set) var problems: [ArchiveProblem] = []
    private(set) var fileDigest: String?

    init(progress: (@Sendable (UInt64) -> Void)?) { bytes = ByteProgress(report: progress) }

    func report(_ problem: ArchiveProblem) { lock.withLock { problems.append(problem) } }
    func setFileDigest(_ digest: String?) { lock.withLock { fileDigest = digest } }
}
