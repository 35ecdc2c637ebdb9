import PacaArchive
import PacaCatalog
import PacaConfig
import PacaCore
import PacaSystem
import PacaTargets

extension BackupEngine {
    /// Writes the archive of `set` for job `number` once, delivering it to every target of the
    /// set at the same time (every configured target for an emergency backup): catalogs it as
    /// running first, writes it on a thread of its own, then catalogs how it ended and how each
    /// delivery went. The backup is complete when at least one target has the archive; a target
    /// that missed it is retried later (``retryDueDeliveries()``).
    func write(_ number: Int, set: DaemonConfig.BackupSet) async -> Result<BackupRecord, EngineError> {
        guard let job = jobs[number] else { return .failure(EngineError(.notFound, "backup request \(number) vanished")) }
        let targetNames = job.trigger == .emergency ? config.targets.map(\.name) : set.targets
        guard !targetNames.isEmpty else { return .failure(EngineError(.validation, "backup set \"\(set.name)\" has no target")) }
        let started = clock.now()
        // After the set's newest id, so two backups of a set started in one second keep their order.
        let newest = await catalog.latestBySet()[set.name]?.id
        var id = BackupID(set: set.name, unixSeconds: Int64(started), after: newest, using: &random).text
        while await catalog.record(id) != nil {
            id = BackupID(set: set.name, unixSeconds: Int64(started), after: newest, using: &random).text
        }
        let key = archiveKey(set: set.name, id: id, sealed: set.encryption != nil)
        var resolved: [Result<any ArchiveTarget, EngineError>] = []
        for name in targetNames { resolved.append(await target(name)) }
        let locations = zip(targetNames, resolved).map { name, result in
            (try? result.get().location(of: key)) ?? "\(name):\(key)"
        }
        var record = BackupRecord(
            id: id, set: set.name, trigger: job.trigger, reason: job.reason, startedAt: Int64(started), target: targetNames[0],
            path: locations[0])
        record.deliveries = zip(targetNames, locations).map { Delivery(target: $0, status: .pending, location: $1) }
        record.coalesced = job.requests - 1
        record.sealed = set.encryption != nil
        (record.checkpoint, record.step, record.metrics) = (job.capture?.checkpoint, job.capture?.step, job.capture?.metrics)
        let plan = job.capture == nil ? await changePlan(for: set, mode: job.mode, targets: targetNames) : ChangePlan()
        record.base = plan.base
        jobs[number]?.recordID = id
        jobs[number]?.startedAt = Int64(started)
        do { try await catalog.insert(record) } catch {
            logger.error("cannot record a new backup in the catalog", metadata: ["backup.set": "\(set.name)", "error": "\(error)"])
            return .failure(EngineError(error))
        }
        logger.info(
            "backup started",
            metadata: [
                "backup.id": "\(id)", "backup.set": "\(set.name)", "backup.trigger": "\(job.trigger)",
                "backup.targets": "\(targetNames.joined(separator: ","))", "backup.base": "\(plan.base ?? "-")",
                "backup.full_because": "\(plan.whyFull ?? "-")",
            ])

        var failures: [Int: String] = [:]
        var uploads: [(index: Int, upload: any ArchiveUpload)] = []
        for (index, result) in resolved.enumerated() {
            do throws(EngineError) {
                let target = try result.get()
                do throws(TargetError) { uploads.append((index, try await target.beginUpload(key))) } catch { throw EngineError(error) }
            } catch {
                failures[index] = error.message
            }
        }
        let outcome: Result<(StreamedArchive, [Int]), EngineError>
        if uploads.isEmpty {
            outcome = .failure(
                EngineError(
                    .storage,
                    "no target could take the archive: " + failures.sorted { $0.key < $1.key }.map(\.value).joined(separator: "; ")))
        } else {
            let (written, streamFailures) = await stream(
                set: set, sources: job.capture.map { [$0.source] } ?? set.paths, id: id, started: started, plan: plan, uploads: uploads,
                progress: job.progress, manifestCopy: job.capture == nil ? files?.manifestPath(id: id) : nil)
            outcome = written
            failures.merge(streamFailures) { first, _ in first }
        }

        let finished = Int64(clock.now())
        record.finishedAt = finished
        switch outcome {
        case .success(let (contents, committed)):
            // A backup that could not read everything is partial: restorable, listed with what it misses.
            record.status = contents.errors.isEmpty ? .complete : .partial
            record.files = contents.files
            record.bytesIn = contents.bytesTotal
            record.bytesWritten = contents.bytesIn
            record.bytesStored = contents.bytesStored
            record.sha256 = contents.sha256
            record.manifestSha256 = contents.manifestSha256
            record.unreadable = contents.errors.prefix(100).map { "\($0.path): \($0.message)" }
            let rewritten = await BlockingPool.shared.run { [capture = job.capture] in capture?.rewritten() ?? [] }
            record.unreadable += rewritten.map { "\($0): rewritten in place after the capture; capture with copy to keep such files" }
            if !rewritten.isEmpty { record.status = .partial }
            record.changed = contents.changed.count
            record.references = contents.references
            record.type = contents.references.isEmpty ? .full : .incremental
            record.filesReferenced = contents.filesReferenced
            record.bytesReferenced = contents.bytesReferenced
            for index in record.deliveries.indices {
                record.deliveries[index].attempts = 1
                if committed.contains(index) {
                    record.deliveries[index].status = .ok
                    record.deliveries[index].deliveredAt = finished
                    noteDelivery(to: record.deliveries[index].target, at: finished)
                } else {
                    record.deliveries[index].status = .failed
                    record.deliveries[index].error = failures[index] ?? "the delivery did not finish"
                    record.deliveries[index].nextAttemptAt = nextAttempt(after: 1, now: finished)
                }
            }
            if let first = record.delivered.first {
                record.target = first.target
                record.path = first.location
            } else {
                record.status = .failed
                record.error = "no target took the archive: " + failures.sorted { $0.key < $1.key }.map(\.value).joined(separator: "; ")
            }
        case .failure(let error):
            record.status = error.code == EngineError.Code.cancelled ? BackupRecord.Status.cancelled : .failed
            record.error = error.message
            for index in record.deliveries.indices {
                record.deliveries[index].status = .failed
                record.deliveries[index].error = failures[index] ?? error.message
            }
        }
        if let tracking = plan.tracking {
            // The next backup is compared with this one only once it is safe somewhere.
            let indexPath = tracking.indexPath
            let isComplete = record.isRestorePoint
            let committed = await BlockingPool.shared.run { () -> ArchiveError? in
                guard isComplete else {
                    ChangeIndex.discard(indexPath)
                    return nil
                }
                do throws(ArchiveError) { try ChangeIndex.commit(indexPath) } catch { return error }
                return nil
            }
            if let committed {
                logger.warning(
                    "the change index could not be kept; the next backup rebuilds it from the manifest",
                    metadata: ["backup.id": "\(id)", "error": "\(committed)"])
            }
        }
        let ended = record
        do {
            // Only what the backup decided: a pin set meanwhile (backup.pin) stays.
            if let updated = try await catalog.update(
                id,
                { current in
                    current.adoptOutcome(of: ended)
                    return current
                })
            {
                record = updated
            }
        } catch {
            logger.error("cannot record how a backup ended", metadata: ["backup.id": "\(id)", "error": "\(error)"])
            return .failure(EngineError(error))
        }
        if let files, job.capture == nil {
            // Checkpoint captures hold one folder of the set, not its tree: they stay out of the index.
            await files.submit(id: id, set: set.name, sequence: record.isRestorePoint ? record.sequence : nil, createdAt: record.startedAt)
        }
        for delivery in record.deliveries where delivery.status == .failed && record.isRestorePoint {
            logger.warning(
                "delivery failed; it will be retried",
                metadata: ["backup.id": "\(id)", "target.name": "\(delivery.target)", "error": "\(delivery.error ?? "")"])
        }
        logger.info(
            "backup ended",
            metadata: [
                "backup.id": "\(id)", "backup.status": "\(record.status.rawValue)", "backup.files": "\(record.files)",
                "backup.bytes_in": "\(record.bytesIn)", "backup.bytes_stored": "\(record.bytesStored)",
                "backup.delivered": "\(record.delivered.map(\.target).joined(separator: ","))",
            ])
        return .success(record)
    }

    /// Streams the archive into `uploads` on a thread of its own and commits each. Returns the
    /// archive and the indexes that committed, and why the others failed.
    private func stream(
        set: DaemonConfig.BackupSet, sources: [String], id: String, started: Double, plan: ChangePlan,
        uploads: [(index: Int, upload: any ArchiveUpload)],
        progress: RunProgress, manifestCopy: String?
    ) async -> (Result<(StreamedArchive, [Int]), EngineError>, [Int: String]) {
        var settings = CreationOptions(
            level: config.compressionLevel, threads: config.compressionThreads, excludes: set.excludes,
            recipients: set.encryption?.recipients ?? [])
        settings.manifestCopy = manifestCopy
        let options = settings
        let header = ManifestHeader(backupID: id, setName: set.name, createdAt: Int64(started), parent: plan.base)
        let tracking = plan.tracking
        let spool = config.stateDirectory + "/spool"
        let handOver = UploadList(uploads)
        return await SystemThread.run { () -> (Result<(StreamedArchive, [Int]), EngineError>, [Int: String]) in
            let sink = FanOutSink(handOver.uploads)
            do { try DurableFile.makeDirectories(spool) } catch {
                sink.abandonAll()
                return (.failure(EngineError(.storage, "the spool folder cannot be made: \(error)", underlying: error)), [:])
            }
            if let estimate = try? ArchiveCreator.estimate(sources: sources, excludes: set.excludes) {
                progress.setTotals(files: estimate.files, bytes: estimate.bytes)
            }
            do throws(ArchiveError) {
                let contents = try ArchiveCreator.stream(
                    sources: sources, into: sink, spoolDirectory: spool, header: header, options: options,
                    skipping: handOver.uploads.compactMap(\.upload.localPartialPath), tracking: tracking,
                    progress: { progress.update(files: $0.files, bytes: $0.bytes) },
                    isCancelled: { progress.isCancelled })
                let committed = sink.commitAll(sha256: contents.sha256)
                return (.success((contents, committed)), sink.failures)
            } catch {
                sink.abandonAll()
                let failure =
                    error.code == .cancelled
                    ? EngineError(.cancelled, "cancelled: the daemon was stopping", underlying: error)
                    : EngineError(.storage, error.description, underlying: error)
                return (.failure(failure), sink.failures)
            }
        }
    }
}

/// Uploads handed from the engine to the thread that writes the archive.
private struct UploadList: Sendable {
    let uploads: [(index: Int, upload: any ArchiveUpload)]
    init(_ uploads: [(index: Int, upload: any ArchiveUpload)]) { self.uploads = uploads }
}
