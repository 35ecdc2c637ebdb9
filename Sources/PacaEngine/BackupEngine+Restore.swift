public import PacaArchive
import PacaCatalog
import PacaCore
import PacaSystem
import PacaTargets

/// What a restore session grants its caller (``BackupEngine/openRestore(_:owner:access:)``).
public struct RestoreGrant: Sendable, Equatable {
    public var session: String
    public var backupID: String
    public var set: String
    /// The backup's own archive first, then those it takes files from: (backup id, size).
    public var archives: [(backup: String, size: UInt64)]
    /// Nil for root: everything is served.
    public var limit: ReaderLimit?
    /// How long the session lives without a read, seconds.
    public var idleSeconds: Int64
    /// The SHA-256 the catalog recorded for the archive's manifest: the caller's extractor refuses
    /// an archive whose manifest differs.
    public var manifestSha256: String?

    public static func == (a: RestoreGrant, b: RestoreGrant) -> Bool {
        a.session == b.session && a.backupID == b.backupID && a.set == b.set && a.limit == b.limit && a.idleSeconds == b.idleSeconds
            && a.manifestSha256 == b.manifestSha256
            && a.archives.elementsEqual(b.archives) { $0.backup == $1.backup && $0.size == $1.size }
    }
}

/// An open restore session: the archives it reads, what of each it may serve, who owns it.
struct RestoreReading {
    struct Archive {
        var source: any ArchiveByteSource
        /// Nil: every byte (root).
        var spans: ReadableSpans?
    }

    var owner: UInt32
    var archives: [String: Archive]
    /// Downloaded copies to remove when the session ends.
    var locals: [LocalArchive]
    /// The session's entry in ``BackupEngine/readers`` (delete and prune wait for it).
    var reader: Int
    var lastUsed: Double
    var reads = 0
    var bytesServed: UInt64 = 0
}

extension BackupEngine {
    /// Seconds a session lives without a read.
    static let restoreIdleSeconds: Int64 = 600

    /// Opens backup `id` for a restore that the caller `owner` writes itself: the daemon reads
    /// the archives (a directory target's in place, a bucket's in ranges: its credentials stay
    /// here) and serves, through ``readRestore(_:backup:offset:length:caller:)``, what `access`
    /// could have read when the files were backed up. `access` nil (root) is served everything.
    public func openRestore(_ id: String, owner: UInt32, access: ReadAccess?) async throws(EngineError) -> RestoreGrant {
        expireRestoreSessions()
        let sessions = config.limits.restoresPerCaller
        guard restoreSessions.values.filter({ $0.owner == owner }).count < sessions else {
            throw EngineError(
                .busy,
                "uid \(owner) has \(sessions) restores open already (limits.restores_per_caller); finish one, or wait for an idle one to end"
            )
        }
        var record = try await readable(id)
        // Registered now, before the awaits below: a delete that starts meanwhile waits for it.
        let progress = RunProgress()
        let reader = try beginReading(.restore, record, progress)
        var opened = false
        defer { if !opened { readers[reader] = nil } }
        if record.sealed && record.status == .unverified && record.manifestSha256 == nil {
            // Rebuilt from its name alone (not described since), it may reference any earlier archive of its set: offer them all.
            record.references = await catalog.list(set: record.set).filter { $0.isReadable && $0.sealed && $0.id < id }.map(\.id)
        }
        var sources: [String: any ArchiveByteSource] = [:]
        var locals: [LocalArchive] = []
        if let ranged = await rangedSources(for: record) {
            sources = ranged
        } else {
            let local = try await localArchive(record)
            let (referenced, missing) = await referencedArchives(of: record)
            locals = [local] + referenced.values
            if let problem = missing.first {
                await release(locals)
                throw EngineError(.storage, problem)
            }
            let archives = referenced.merging([id: local]) { _, own in own }
            let opened = await BlockingPool.shared.run { () -> Result<[String: any ArchiveByteSource], ArchiveError> in
                Result { () throws(ArchiveError) in try LocalArchive.sources(archives) }
            }
            switch opened {
            case .success(let files): sources = files
            case .failure(let error):
                await release(locals)
                throw Self.engineError(error, record)
            }
        }
        var limit: ReaderLimit?
        if let access {
            let roots = config.sets.first { $0.name == record.set }?.paths
            limit = ReaderLimit(access: access, closedRoots: await Self.closedRoots(roots, for: access))
        }
        let served = sources
        let granted = limit
        let (manifestSha256, sealed) = (record.manifestSha256, record.sealed)
        let outcome = await SystemThread.run { () -> Result<[String: ReadableSpans]?, ArchiveError> in
            Result { () throws(ArchiveError) -> [String: ReadableSpans]? in
                // Sealed archives are served whole: only a caller holding an identity reads them,
                // and its pacactl applies the limit as it writes (docs/security.md).
                guard let limit = granted, let own = served[id], !sealed else { return nil }
                var references: [String: ArchiveReader] = [:]
                for (backup, source) in served where backup != id { references[backup] = try ArchiveReader(source: source) }
                return try RestoreSpans.compute(
                    ownID: id, source: own, references: references, limit: limit, manifestSha256: manifestSha256)
            }
        }
        let spans: [String: ReadableSpans]?
        switch outcome {
        case .success(let computed): spans = computed
        case .failure(let error):
            await release(locals)
            throw Self.engineError(error, record)
        }
        let session = Self.sessionName(&random)
        progress.setTotals(files: 0, bytes: sources.values.reduce(0) { $0 + $1.size })
        var archives: [String: RestoreReading.Archive] = [:]
        for (backup, source) in sources { archives[backup] = RestoreReading.Archive(source: source, spans: spans?[backup]) }
        restoreSessions[session] = RestoreReading(
            owner: owner, archives: archives, locals: locals, reader: reader, lastUsed: clock.now())
        opened = true
        logger.info(
            "restore opened",
            metadata: [
                "backup.id": "\(id)", "restore.uid": "\(owner)", "restore.limited": "\(access != nil)", "restore.session": "\(session)",
            ])
        let order = [id] + record.references.filter { sources[$0] != nil }
        return RestoreGrant(
            session: session, backupID: id, set: record.set, archives: order.compactMap { key in sources[key].map { (key, $0.size) } },
            limit: limit, idleSeconds: Self.restoreIdleSeconds, manifestSha256: record.manifestSha256)
    }

    /// Up to `length` bytes of backup `backup`'s archive at `offset`, for session `session` of
    /// `caller`; bytes the session may not serve read as zeroes.
    public func readRestore(_ session: String, backup: String, offset: UInt64, length: Int, caller: UInt32) async throws(EngineError)
        -> [UInt8]
    {
        expireRestoreSessions()
        guard let reading = restoreSessions[session], reading.owner == caller else {
            throw EngineError(.notFound, "no restore session \(session) of uid \(caller) (it ended, or was never opened)")
        }
        guard let archive = reading.archives[backup] else {
            throw EngineError(.notFound, "restore session \(session) does not read the archive of backup \(backup)")
        }
        restoreSessions[session]?.lastUsed = clock.now()
        restoreSessions[session]?.reads += 1
        let source = archive.source
        let spans = archive.spans
        guard offset < source.size else { return [] }
        let count = Int(min(UInt64(length), source.size - offset))
        let outcome = await SystemThread.run { () -> Result<[UInt8], ArchiveError> in
            Result { () throws(ArchiveError) -> [UInt8] in
                var failure: ArchiveError?
                let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                    let raw = UnsafeMutableRawBufferPointer(buffer)
                    do throws(ArchiveError) {
                        initialized = try source.read(into: raw, at: offset)
                        spans?.mask(UnsafeMutableRawBufferPointer(rebasing: raw[0..<initialized]), at: offset)
                    } catch {
                        failure = error
                        initialized = 0
                    }
                }
                if let failure { throw failure }
                return bytes
            }
        }
        switch outcome {
        case .success(let bytes):
            readers[reading.reader]?.progress.update(files: 0, bytes: offset + UInt64(bytes.count))
            restoreSessions[session]?.bytesServed += UInt64(bytes.count)
            return bytes
        case .failure(let error):
            throw EngineError(.storage, "reading the archive of backup \(backup): \(error.description)", underlying: error)
        }
    }

    /// Ends session `session` of `caller`; returns how many reads it answered and their bytes.
    public func closeRestore(_ session: String, caller: UInt32) async throws(EngineError) -> (reads: Int, bytes: UInt64) {
        guard let reading = restoreSessions[session], reading.owner == caller else {
            throw EngineError(.notFound, "no restore session \(session) of uid \(caller) (it ended, or was never opened)")
        }
        await endRestore(session, reading)
        return (reading.reads, reading.bytesServed)
    }

    private func endRestore(_ session: String, _ reading: RestoreReading) async {
        restoreSessions[session] = nil
        readers[reading.reader] = nil
        await release(reading.locals)
    }

    /// Ends the sessions idle for longer than ``restoreIdleSeconds``.
    func expireRestoreSessions() {
        let now = clock.now()
        for (session, reading) in restoreSessions where now - reading.lastUsed > Double(Self.restoreIdleSeconds) {
            restoreSessions[session] = nil
            readers[reading.reader] = nil
            let locals = reading.locals
            Task { await self.release(locals) }
            logger.info(
                "restore session ended after \(Self.restoreIdleSeconds) s without a read", metadata: ["restore.session": "\(session)"])
        }
    }

    /// The top-level names of `roots` (a set's paths, each stored under its last component) that
    /// lie inside a folder `access` cannot search now.
    static func closedRoots(_ roots: [String]?, for access: ReadAccess) async -> Set<String> {
        guard let roots else { return [] }
        return await BlockingPool.shared.run {
            var closed = Set<String>()
            for root in roots {
                let name = String(root.split(separator: "/").last ?? "")
                var folder = PathText.directory(of: root)
                while true {
                    if let info = try? Syscall.stat(folder),
                        !access.grants(1, mode: info.permissions, owner: info.uid, group: info.gid)
                    {
                        closed.insert(name)
                        break
                    }
                    if folder == "/" || folder.isEmpty { break }
                    folder = PathText.directory(of: folder)
                }
            }
            return closed
        }
    }

    /// A session name nobody can guess: 128 random bits, in hex.
    static func sessionName(_ random: inout SystemRandomNumberGenerator) -> String {
        (0..<4).map { _ in String(UInt32.random(in: 0...UInt32.max, using: &random), radix: 16) }
            .map { String(repeating: "0", count: 8 - $0.count) + $0 }.joined(separator: "-")
    }
}
