import PacaArchive
import PacaCatalog
import PacaConfig
import PacaSystem
import PacaTargets

/// What a backup is compared with: the base backup, the change index that describes it, and the
/// archives it must no longer reference.
struct ChangePlan: Sendable {
    /// The backup this one is compared with; nil writes a full archive.
    var base: String?
    /// Nil for a set that is not incremental (no index is kept for it), and for a checkpoint capture.
    var tracking: ChangeTracking? = nil
    /// Why the backup is full although the set is incremental, for the log.
    var whyFull: String?
}

extension BackupEngine {
    /// The change index of `set` under the state directory.
    func indexPath(of set: String) -> String { config.stateDirectory + "/index/" + set + ".idx" }

    /// Decides what the next backup of `set` is compared with.
    ///
    /// The base is the set's newest complete backup, when it and every archive it references are
    /// on each target this backup goes to (so the new backup is whole wherever it lands). Its
    /// change index is rebuilt from its manifest when the one under the state directory describes
    /// another backup. Archives are retired (their files stored again) when the bytes still used
    /// from them fall under `min_live` of what they hold, or to keep at most `max_sources`.
    func changePlan(for set: DaemonConfig.BackupSet, mode: BackupMode, targets: [String]) async -> ChangePlan {
        guard set.incremental.isEnabled else { return ChangePlan(tracking: nil) }
        let indexPath = indexPath(of: set.name)
        var plan = ChangePlan(tracking: ChangeTracking(base: nil, indexPath: indexPath))
        let directory = PathText.directory(of: indexPath)
        let prepared = await BlockingPool.shared.run { Result { () throws(SystemError) in try DurableFile.makeDirectories(directory) } }
        if case .failure(let error) = prepared {
            plan.tracking = nil
            plan.whyFull = "the change index folder cannot be made: \(error)"
            return plan
        }
        guard mode != .full else {
            plan.whyFull = "a full backup was asked for"
            return plan
        }
        let records = await catalog.list(set: set.name)
        // A checkpoint capture holds one checkpoint, not the set: never a base.
        let complete = records.filter { $0.isRestorePoint && $0.checkpoint == nil }.sorted { ($0.startedAt, $0.id) < ($1.startedAt, $1.id) }
        // The backup the index describes is the set's previous one in the order backups ended
        // (two may start in the same second); the newest by time serves when it is gone.
        let indexed = await BlockingPool.shared.run { ChangeIndex.backupID(at: indexPath) }
        guard let base = complete.last(where: { $0.id == indexed }) ?? complete.last else {
            plan.whyFull = "the set has no complete backup yet"
            return plan
        }
        if let every = set.fullEvery {
            let sinceFull = complete.reversed().prefix { $0.type != .full }.count
            if sinceFull + 1 >= every {
                plan.whyFull = "full_every: \(every)"
                return plan
            }
        }
        if base.sealed != (set.encryption != nil) {
            plan.whyFull = set.encryption == nil ? "the set is no longer sealed" : "the set is sealed now"
            return plan
        }
        let byID = Dictionary(records.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for id in [base.id] + base.references {
            guard let record = byID[id], record.isRestorePoint else {
                plan.whyFull = "backup \(id), which the base needs, is not in the catalog"
                return plan
            }
            for target in targets where !record.deliveries.contains(where: { $0.target == target && $0.status == .ok }) {
                plan.whyFull = "target \"\(target)\" does not hold backup \(id), which the base needs"
                return plan
            }
        }
        if indexed != base.id {
            if let problem = await rebuildIndex(of: base, at: indexPath) {
                plan.whyFull = "the change index of \(base.id) cannot be made again: \(problem)"
                return plan
            }
        }
        let live = await BlockingPool.shared.run { () -> [String: UInt64]? in
            guard let reader = try? ChangeIndexReader(path: indexPath) else { return nil }
            var bytes: [String: UInt64] = [:]
            do throws(ArchiveError) {
                while let file = try reader.next() {
                    for (holder, held) in file.holdings { bytes[holder, default: 0] += held }
                }
            } catch {
                return nil
            }
            return bytes
        }
        guard let live else {
            plan.whyFull = "the change index of \(base.id) cannot be read"
            return plan
        }
        plan.base = base.id
        plan.tracking?.base = indexPath
        let retiring = set.incremental.retiring(live: live, held: byID.mapValues(\.bytesWritten))
        plan.tracking?.detection = ChangeDetection(rehash: mode == .rehash, retiring: retiring)
        var sources: [String: any ArchiveByteSource] = [:]
        for id in retiring.sorted() {
            guard let record = byID[id], record.isRestorePoint else { continue }
            if let source = await carrySource(record) { sources[id] = source }
        }
        plan.tracking?.carrySources = sources
        return plan
    }

    /// Where the compressed bytes of a retiring backup's files are copied from: its archive on a
    /// directory target that holds it (read in place), else on a bucket (read in ranges).
    /// Nil for a sealed archive, which pacad cannot read: its files are read from the source again.
    func carrySource(_ record: BackupRecord) async -> (any ArchiveByteSource)? {
        guard !record.sealed else { return nil }
        let key = record.storedKey
        var remote: (any ArchiveByteSource)?
        for delivery in record.delivered {
            guard case .success(let target) = await target(delivery.target) else { continue }
            if target is DirectoryTarget {
                let path = target.location(of: key)
                if let file = await BlockingPool.shared.run({ try? FileByteSource(path: path) }) { return file }
            } else if remote == nil {
                remote = TargetByteSource(target: target, key: key, size: record.bytesStored)
            }
        }
        return remote
    }

    /// Writes the change index of `record` from its manifest (read with ranged reads from a target
    /// that has it). Returns why it could not, or nil.
    func rebuildIndex(of record: BackupRecord, at path: String) async -> String? {
        guard !record.sealed else { return "its archive is sealed, and pacad holds no identity to read the manifest" }
        let key = record.storedKey
        var problems: [String] = []
        for delivery in record.delivered {
            guard case .success(let target) = await target(delivery.target) else { continue }
            let read = await Self.read(TargetObject(key: key, size: record.bytesStored), on: target) { (source) throws(ArchiveError) in
                try ArchiveReader(source: source).manifestWithDigest()
            }
            switch read {
            case .failure(let error): problems.append(error.message)
            case .success(let (_, sha256)) where record.manifestSha256.map({ $0 != sha256 }) == true:
                problems.append(
                    "the archive on target \(delivery.target) has another manifest than the one written with the backup (SHA-256 differs)")
            case .success(let (manifest, _)):
                let written = await BlockingPool.shared.run {
                    Result { () throws(ArchiveError) in try ChangeIndex.write(from: manifest, to: path) }
                }
                switch written {
                case .success:
                    logger.info("change index made again from a manifest", metadata: ["backup.id": "\(record.id)"])
                    return nil
                case .failure(let error): problems.append(error.description)
                }
            }
        }
        return problems.isEmpty ? "no target holds it" : problems.joined(separator: "; ")
    }
}
