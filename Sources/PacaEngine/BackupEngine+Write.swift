import PacaData
import PacaArchive
import PacaConfig
import PacaCore

extension BackupEngine {
    /// Writes the archive of `set` for job `number`: catalogs it as running first, writes it on a
    /// thread of its own, then catalogs how it ended.
    func write(_ number: Int, set: DaemonConfig.BackupSet) async -> Result<BackupRecord, EngineError> {
        guard let job = jobs[number] else { return .failure(EngineError(.notFound, "backup request \(number) vanished")) }
        guard let targetName = set.targets.first, let target = config.target(named: targetName) else {
            return .failure(EngineError(.validation, "backup set \"\(set.name)\" has no usable target"))
        }
        guard case .directory(let targetPath) = target.kind else {
            return .failure(EngineError(.validation, "target \"\(targetName)\" is not a directory target"))
        }
        let started = clock.now()
        var id = BackupID(set: set.name, unixSeconds: Int64(started), using: &random).text
        while await catalog.record(id) != nil { id = BackupID(set: set.name, unixSeconds: Int64(started), using: &random).text }
        let directory = targetPath + "/" + set.name
        var record = BackupRecord(
            id: id, set: set.name, trigger: job.trigger, reason: job.reason, startedAt: Int64(started), target: targetName,
            path: directory + "/" + id + ".zip")
        record.coalesced = job.requests - 1
        jobs[number]?.recordID = id
        jobs[number]?.startedAt = Int64(started)
        do { try await catalog.save(record) } catch {
            logger.error("cannot record a new backup in the catalog", metadata: ["backup.set": "\(set.name)", "error": "\(error)"])
            return .failure(error)
        }
        logger.info("backup started", metadata: ["backup.id": "\(id)", "backup.set": "\(set.name)", "backup.trigger": "\(job.trigger)"])

        let options = CreationOptions(level: config.compressionLevel, threads: config.compressionThreads, excludes: set.excludes)
        let header = ManifestHeader(backupID: id, setName: set.name, createdAt: Int64(started))
        let progress = job.progress
        let path = record.path
        let outcome = await BlockingWork.run("backup-\(set.name)") { () -> Result<CreationResult, EngineError> in
            if case .failure(let error) = Result(catching: { () throws(EngineError) in try StateFile.makeDirectories(directory) }) {
                return .failure(error)
            }
            if let estimate = try? ArchiveCreator.estimate(sources: set.paths, excludes: set.excludes) {
                progress.setTotals(files: estimate.files, bytes: estimate.bytes)
            }
            return Result { () throws(ArchiveError) in
                try ArchiveCreator.create(
                    sources: set.paths, at: path, header: header, options: options,
                    progress: { progress.update(files: $0.files, bytes: $0.bytes) },
                    isCancelled: { progress.isCancelled })
            }.mapError { error in
                error.code == .cancelled
                    ? EngineError(.cancelled, "cancelled: the daemon was stopping") : EngineError(.storage, error.description)
            }
        }

        record.finishedAt = Int64(clock.now())
        switch outcome {
        case .success(let created):
            record.status = .complete
            record.files = created.files
            record.bytesIn = created.bytesIn
            record.bytesStored = created.bytesStored
            record.sha256 = created.sha256
            record.unreadable = created.errors.prefix(100).map { "\($0.path): \($0.message)" }
            record.changed = created.changed.count
        case .failure(let error):
            record.status = error.code == EngineError.Code.cancelled ? BackupRecord.Status.cancelled : .failed
            record.error = error.message
        }
        do { try await catalog.save(record) } catch {
            logger.error("cannot record how a backup ended", metadata: ["backup.id": "\(id)", "error": "\(error)"])
            return .failure(error)
        }
        logger.info(
            "backup ended",
            metadata: [
                "backup.id": "\(id)", "backup.status": "\(record.status.rawValue)", "backup.files": "\(record.files)",
                "backup.bytes_in": "\(record.bytesIn)", "backup.bytes_stored": "\(record.bytesStored)",
            ])
        return .success(record)
    }
}
