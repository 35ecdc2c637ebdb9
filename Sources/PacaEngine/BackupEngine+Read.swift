public import PacaArchive
public import PacaCatalog
public import PacaCore
import PacaSystem
import PacaTargets

extension BackupEngine {
    /// Restores backup `id` into `destination` (an absolute path, created when missing). Only
    /// entries matching one of `includes` when any are given; existing files are replaced only with
    /// `overwrite`. Entries that would land outside `destination` are refused.
    public func restore(
        _ id: String, to destination: String, includes: [String], overwrite: Bool, progress: RunProgress = RunProgress()
    ) async throws(EngineError) -> ExtractionResult {
        guard destination.hasPrefix("/") else {
            throw EngineError(.validation, "the restore destination must be an absolute path, not \"\(destination)\"")
        }
        var patterns: [PathPattern] = []
        for text in includes {
            do { patterns.append(try PathPattern(text)) } catch { throw EngineError(.validation, "include \"\(text)\": \(error.reason)") }
        }
        let record = try await readable(id)
        guard !record.sealed else {
            throw EngineError(
                .validation,
                "backup \(id) is sealed with age and pacad holds no identity to open it: restore it with pacactl restore \(id) DEST --identity FILE"
            )
        }
        let reader = try beginReading(.restore, record, progress)
        defer { readers[reader] = nil }
        let options = ExtractionOptions(includes: patterns, overwrite: overwrite, manifestSha256: record.manifestSha256)
        if !patterns.isEmpty, let sources = await rangedSources(for: record) {
            return try await restoreInRanges(record, sources, to: destination, options: options, progress: progress)
        }
        let local = try await localArchive(record)
        let (referenced, missing) = await referencedArchives(of: record)
        if let problem = missing.first {
            await release([local] + referenced.values)
            throw EngineError(.storage, problem)
        }
        let outcome = await SystemThread.run { () -> Result<ExtractionResult, ArchiveError> in
            Result { () throws(ArchiveError) in
                let sources = try LocalArchive.sources(referenced)
                return try ArchiveExtractor.extract(from: try local.source(), to: destination, options: options, references: sources) {
                    done, total in
                    progress.setTotals(files: 0, bytes: total)
                    progress.update(files: 0, bytes: done)
                }
            }
        }
        await release([local] + referenced.values)
        switch outcome {
        case .success(let result):
            logger.info(
                "backup restored",
                metadata: ["backup.id": "\(id)", "restore.files": "\(result.files)", "restore.problems": "\(result.problems.count)"])
            return result
        case .failure(let error):
            throw Self.engineError(error, record)
        }
    }

    /// Checks every entry of backup `id` against its CRC-32, the manifest's SHA-256 and the
    /// sidecar, and records the outcome in the catalog.
    /// With `deep`, also reads every file an incremental backup takes from other archives and
    /// checks it against the manifest's SHA-256.
    public func verify(_ id: String, deep: Bool = false, progress: RunProgress = RunProgress()) async throws(EngineError)
        -> VerificationResult
    {
        let record = try await readable(id)
        let reader = try beginReading(.verify, record, progress)
        defer { readers[reader] = nil }
        progress.setTotals(files: record.files, bytes: record.bytesStored)
        let local = try await localArchive(record)
        let path = local.path
        let cataloged = CatalogDigests(sha256: record.sha256, manifestSha256: record.manifestSha256)
        let outcome = await SystemThread.run { () -> Result<VerificationResult, ArchiveError> in
            Result { () throws(ArchiveError) in
                try ArchiveVerifier.verify(path, cataloged: cataloged) { progress.update(files: 0, bytes: $0) }
            }
        }
        var result: VerificationResult
        switch outcome {
        case .success(let verified): result = verified
        case .failure(let error):
            await release(local)
            throw Self.engineError(error, record)
        }
        let referenceProblems = await referenceProblems(of: record)
        result.problems += referenceProblems
        // A sealed archive's manifest is out of pacad's reach: deep checks run where the identity is.
        if deep && referenceProblems.isEmpty && !record.references.isEmpty && !record.sealed {
            // The archive already here serves the deep check too: no second download.
            let deepProblems = await deepReferenceProblems(of: record, manifestFrom: local, progress: progress)
            await release(local)
            result.problems += try deepProblems.get()
        } else {
            await release(local)
        }
        let checkedAt = Int64(clock.now())
        do {
            try await catalog.update(id) { current in
                current.verifiedAt = checkedAt
                current.verified = result.isValid
                // A rebuilt backup the catalog had no digests for: the verified archive gives them.
                if current.status == .unverified && result.isValid && result.contentsChecked {
                    current.status = .complete
                    current.sha256 = result.sha256
                    current.manifestSha256 = result.manifestSha256
                }
            }
        } catch {
            throw EngineError(error)
        }
        if !result.isValid {
            logger.warning("backup failed verification", metadata: ["backup.id": "\(id)", "verify.problems": "\(result.problems.count)"])
        }
        return result
    }

    /// Deletes backup `id`: its archive and sidecar on every target that has them, then its
    /// catalog record. Refused while the backup is being written, read, copied or removed. When a target
    /// cannot delete its copy, the record stays with that delivery and the error says which.
    public func delete(_ id: String) async throws(EngineError) -> BackupRecord {
        guard let record = await catalog.record(id) else { throw EngineError(.notFound, "no backup with id \(id)") }
        if record.status == .running { throw EngineError(.busy, "backup \(id) is being written; wait for it to end") }
        if let busy = busyReason(id) { throw EngineError(.busy, "backup \(id) cannot be deleted now: \(busy); try again when that ends") }
        removing.insert(id)
        defer { removing.remove(id) }
        let dependents = await catalog.list(set: record.set).filter { $0.references.contains(id) }.map(\.id)
        if !dependents.isEmpty {
            throw EngineError(
                .validation,
                "backup \(id) holds files that backup\(dependents.count == 1 ? "" : "s") \(dependents.joined(separator: ", ")) need\(dependents.count == 1 ? "s" : ""); delete \(dependents.count == 1 ? "that" : "those") first, or let retention remove it when nothing kept needs it"
            )
        }
        let key = record.storedKey
        var problems: [String] = []
        var kept: [Delivery] = []
        for delivery in record.deliveries {
            guard delivery.status == .ok else { continue }
            do throws(EngineError) {
                try await remove(key, from: delivery.target)
            } catch {
                problems.append(error.message)
                kept.append(delivery)
            }
        }
        if !problems.isEmpty {
            // The record stays with the copies that could not be deleted, and only those.
            let remaining = Set(kept.map(\.target))
            do {
                try await catalog.update(id) { current in
                    current.deliveries.removeAll { !($0.status == .ok && remaining.contains($0.target)) }
                }
            } catch {
                throw EngineError(error)
            }
            throw EngineError(.storage, "backup \(id) was not deleted everywhere: " + problems.joined(separator: "; "))
        }
        do { try await catalog.remove(id) } catch { throw EngineError(error) }
        logger.info("backup deleted", metadata: ["backup.id": "\(id)"])
        return record
    }

    /// The archive of `record` as a local file: in place on a directory target, else downloaded
    /// into the state directory's scratch folder (removed by ``release(_:)``). Tries each target
    /// that has it, in the set's order.
    func localArchive(_ record: BackupRecord) async throws(EngineError) -> LocalArchive {
        let key = record.storedKey
        var problems: [String] = []
        // A damaged backup has no good copy: what is left is read from the damaged ones (each
        // file is checked against its digest, so only intact files come back).
        let copies = record.status == .damaged ? record.deliveries.filter { $0.status == .failed } : record.delivered
        let delivered = copies.sorted { a, b in
            // A directory copy needs no download: try those first.
            (try? targets[a.target]?.get() is DirectoryTarget) == true && (try? targets[b.target]?.get() is DirectoryTarget) != true
        }
        var found: LocalArchive?
        for delivery in delivered {
            do throws(EngineError) {
                let target = try await target(delivery.target).get()
                // Once one copy is found, the other directory copies stand by (FailoverByteSource).
                if found != nil && !(target is DirectoryTarget) { continue }
                do throws(TargetError) {
                    let local = try await target.localCopy(of: key, scratchDirectory: config.stateDirectory + "/scratch")
                    if found == nil { found = local } else { found?.alternates.append(local.path) }
                } catch {
                    throw EngineError(error)
                }
            } catch {
                problems.append(error.message)
            }
        }
        if let found { return found }
        if problems.isEmpty { throw EngineError(.storage, "backup \(record.id) is on no target") }
        throw EngineError(.storage, "the archive of backup \(record.id) cannot be read: " + problems.joined(separator: "; "))
    }

    /// The archives of `record` and of the backups it references, read in ranges from one target
    /// that holds them all, when the first such target is not a directory (a bucket: a partial
    /// restore then fetches what it needs instead of downloading whole archives). Nil otherwise.
    func rangedSources(for record: BackupRecord) async -> [String: TargetByteSource]? {
        var needed = [record]
        for id in record.references {
            guard let referenced = await catalog.record(id), referenced.isReadable else { return nil }
            needed.append(referenced)
        }
        for delivery in record.delivered {
            guard needed.allSatisfy({ $0.delivered.contains { $0.target == delivery.target } }),
                case .success(let target) = await target(delivery.target)
            else { continue }
            if target is DirectoryTarget { return nil }
            var sources: [String: TargetByteSource] = [:]
            for item in needed {
                sources[item.id] = TargetByteSource(target: target, key: item.storedKey, size: item.bytesStored)
            }
            return sources
        }
        return nil
    }

    private func restoreInRanges(
        _ record: BackupRecord, _ sources: [String: TargetByteSource], to destination: String, options: ExtractionOptions,
        progress: RunProgress
    ) async throws(EngineError) -> ExtractionResult {
        guard let own = sources[record.id] else { throw EngineError(.storage, "backup \(record.id) is on no target") }
        let references = sources.filter { $0.key != record.id }
        let outcome = await SystemThread.run { () -> Result<ExtractionResult, ArchiveError> in
            Result { () throws(ArchiveError) in
                try ArchiveExtractor.extract(from: own, to: destination, options: options, references: references) { done, total in
                    progress.setTotals(files: 0, bytes: total)
                    progress.update(files: 0, bytes: done)
                }
            }
        }
        switch outcome {
        case .success(var result):
            result.bytesFetched = sources.values.reduce(0) { $0 + $1.bytesFetched }
            logger.info(
                "backup restored in part, reading archives in ranges",
                metadata: [
                    "backup.id": "\(record.id)", "restore.files": "\(result.files)", "restore.bytes_fetched": "\(result.bytesFetched ?? 0)",
                ])
            return result
        case .failure(let error):
            throw Self.engineError(error, record)
        }
    }

    /// The archive of backup `id`, which `record` references, as a local file.
    func referencedArchive(_ id: String, of record: BackupRecord) async throws(EngineError) -> LocalArchive {
        guard let referenced = await catalog.record(id), referenced.isReadable else {
            throw EngineError(
                .storage, "backup \(record.id) needs the archive of backup \(id), which the catalog does not list as complete")
        }
        return try await localArchive(referenced)
    }

    /// What is wrong with the archives `record` references: each must be cataloged and on every
    /// target that holds `record`, with the SHA-256 the catalog recorded (its sidecar says so).
    func referenceProblems(of record: BackupRecord) async -> [ArchiveProblem] {
        var problems: [ArchiveProblem] = []
        for id in record.references {
            guard let referenced = await catalog.record(id), referenced.isReadable, let sha256 = referenced.sha256 else {
                problems.append(
                    ArchiveProblem(.notFound, "backup \(id), whose archive holds some of this backup's files, is not in the catalog"))
                continue
            }
            let key = referenced.storedKey
            for delivery in record.delivered {
                guard referenced.delivered.contains(where: { $0.target == delivery.target }) else {
                    problems.append(
                        ArchiveProblem(.notFound, "target \"\(delivery.target)\" does not hold backup \(id), which this backup needs"))
                    continue
                }
                guard case .success(let target) = await target(delivery.target) else { continue }
                let sidecar = try? await target.read(key + ".sha256", range: 0...199)
                let recorded = sidecar.flatMap { String(decoding: $0, as: UTF8.self).split(separator: " ").first.map(String.init) }
                if recorded?.lowercased() != sha256 {
                    problems.append(
                        ArchiveProblem(
                            .checksumMismatch,
                            recorded == nil
                                ? "the archive of backup \(id) is missing from target \"\(delivery.target)\""
                                : "the archive of backup \(id) on target \"\(delivery.target)\" is not the one cataloged (SHA-256 differs)")
                    )
                }
            }
        }
        return problems
    }

    /// Reads every file `record` takes from other archives, from those archives, and checks each
    /// against the manifest's SHA-256 (and its CRC-32 as it decompresses). `own` is the backup's
    /// archive, already local, whose manifest lists those files.
    func deepReferenceProblems(of record: BackupRecord, manifestFrom own: LocalArchive, progress: RunProgress) async
        -> Result<[ArchiveProblem], EngineError>
    {
        let (referenced, missing) = await referencedArchives(of: record)
        let ownPath = own.path
        let outcome = await SystemThread.run { () -> Result<[ArchiveProblem], ArchiveError> in
            Result { () throws(ArchiveError) in
                let sources = try LocalArchive.sources(referenced)
                let ownSource = try FileByteSource(path: ownPath)
                let manifest = try ArchiveReader(source: ownSource).manifest()
                return ArchiveVerifier.verifyReferencedFiles(manifest, own: ownSource, references: sources) {
                    progress.update(files: 0, bytes: $0)
                }
            }
        }
        await release(Array(referenced.values))
        return outcome.map { missing.map { ArchiveProblem(.notFound, $0) } + $0 }.mapError { Self.engineError($0, record) }
    }

    /// Local copies of the archives `record` references (downloaded from a bucket when no
    /// directory target has them), and why each one that could not be had is missing.
    func referencedArchives(of record: BackupRecord) async -> (copies: [String: LocalArchive], missing: [String]) {
        var copies: [String: LocalArchive] = [:]
        var missing: [String] = []
        for id in record.references {
            do { copies[id] = try await referencedArchive(id, of: record) } catch { missing.append(error.message) }
        }
        return (copies, missing)
    }

    /// Removes the downloaded copies among `locals`.
    func release(_ locals: [LocalArchive]) async {
        for local in locals { await release(local) }
    }

    /// Removes a downloaded copy (and its sidecar, when one came along).
    func release(_ local: LocalArchive) async {
        guard local.isTemporary else { return }
        let path = local.path
        await BlockingPool.shared.run {
            _ = try? DurableFile.remove(path)
            _ = try? DurableFile.remove(path + ".sha256")
            try? Syscall.rmdir(PathText.directory(of: path))
        }
    }

    func readable(_ id: String) async throws(EngineError) -> BackupRecord {
        guard let record = await catalog.record(id) else { throw EngineError(.notFound, "no backup with id \(id)") }
        guard record.isReadable else {
            throw EngineError(.validation, "backup \(id) is \(record.status.rawValue); only complete backups can be read")
        }
        if record.retired {
            let users = await catalog.list(set: record.set).filter { $0.references.contains(id) }.map(\.id)
            throw EngineError(
                .validation,
                "backup \(id) was retired by retention: its archive stays only because \(users.joined(separator: ", ")) reference\(users.count == 1 ? "s" : "") it, and it no longer restores on its own; restore one of those, or take files from its archive with pacactl archive extract"
            )
        }
        return record
    }

    /// Registers a read of `record` (delete and prune wait for it), unless the backup is being
    /// removed: its archives may be going from under the reader.
    func beginReading(_ kind: Activity.Kind, _ record: BackupRecord, _ progress: RunProgress) throws(EngineError) -> Int {
        guard !removing.contains(record.id) else { throw EngineError(.busy, "backup \(record.id) cannot be read now: it is being deleted") }
        let number = nextReader
        nextReader += 1
        readers[number] = Reader(kind: kind, backupID: record.id, set: record.set, startedAt: Int64(clock.now()), progress: progress)
        return number
    }

    static func engineError(_ error: ArchiveError, _ record: BackupRecord) -> EngineError {
        switch error.code {
        case .notFound: EngineError(.storage, "the archive of backup \(record.id) is missing: \(error.description)", underlying: error)
        case .alreadyExists, .unsafePath, .invalidArgument: EngineError(.validation, error.description, underlying: error)
        case .cancelled: EngineError(.cancelled, error.description, underlying: error)
        default: EngineError(.storage, error.description, underlying: error)
        }
    }

    /// Removes the archive at `key` (and its sidecar) from target `name`.
    func remove(_ key: String, from name: String) async throws(EngineError) {
        let target = try await target(name).get()
        do throws(TargetError) { try await target.remove(key) } catch { throw EngineError(error) }
    }
}
