public import PacaCatalog
import PacaConfig
import PacaTargets

extension BackupEngine {
    /// Pins backup `id` (kept whatever retention says, unless its policy sets `keep_tagged: false`),
    /// or unpins it.
    public func pin(_ id: String, pinned: Bool) async throws(EngineError) -> BackupRecord {
        let updated: BackupRecord?
        do {
            updated = try await catalog.update(id) { record in
                record.pinned = pinned
                return record
            }
        } catch {
            throw EngineError(error)
        }
        guard let record = updated else { throw EngineError(.notFound, "no backup with id \(id)") }
        logger.info(pinned ? "backup pinned" : "backup unpinned", metadata: ["backup.id": "\(id)"])
        return record
    }

    /// Applies each set's retention on each target (``DaemonConfig/retention(set:target:)``):
    /// copies the policy does not keep are removed from that target, and a backup left on no
    /// target leaves the catalog. The newest complete backup of a set is always kept, pinned
    /// ones are kept while the policy keeps tagged backups, and a backup being written, read or
    /// copied is left for the next prune. With `dryRun`, only reports.
    ///
    /// Removal is crash-safe: a delivery is marked `deleting` in the catalog before its archive
    /// is removed from the target and dropped after, so a prune cut short at any point is
    /// finished by the next prune or start (``finishDeletions()``), and the catalog never lists
    /// an archive the target no longer has as readable.
    /// One prune at a time: a prune asked for while one runs (the one after each backup) waits for it.
    public func prune(set: String? = nil, dryRun: Bool) async throws(EngineError) -> PruneReport {
        if let set, config.set(named: set) == nil { _ = try resolveSet(set) }
        while isPruning { await withCheckedContinuation { pruneWaiters.append($0) } }
        isPruning = true
        defer {
            isPruning = false
            if !pruneWaiters.isEmpty { pruneWaiters.removeFirst().resume() }
        }
        var report = PruneReport(dryRun: dryRun)
        let records = await catalog.list(set: set)
        let setNames = set.map { [$0] } ?? Array(Swift.Set(records.map(\.set)).union(config.sets.map(\.name))).sorted()
        for name in setNames {
            let ofSet = records.filter { $0.set == name }
            let targetNames = Swift.Set(ofSet.flatMap { $0.deliveries.map(\.target) }).sorted()
            // Backups kept on some target only because kept backups there reference them.
            var onlyReferenced = Swift.Set<String>()
            var keptAsRestorePoint = Swift.Set<String>()
            for targetName in targetNames {
                guard let policy = config.retention(set: name, target: targetName) else { continue }
                let plan = PrunePlan(set: name, target: targetName, records: ofSet, policy: policy, zone: zone, now: Int64(clock.now()))
                report.kept += plan.kept
                onlyReferenced.formUnion(plan.keptForReferences)
                keptAsRestorePoint.formUnion(plan.keptAsRestorePoints)
                for var item in plan.removals {
                    if let busy = busyReason(item.id) {
                        item.problem = busy
                        report.failed.append(item)
                    } else if dryRun {
                        report.removed.append(item)
                    } else {
                        do {
                            try await removeDelivery(item.id, from: targetName)
                            report.removed.append(item)
                        } catch {
                            item.problem = error.message
                            report.failed.append(item)
                        }
                    }
                }
            }
            // Kept nowhere as a restore point, only for references: it is one no more.
            for id in onlyReferenced.sorted() where !dryRun && !keptAsRestorePoint.contains(id) {
                let changed: Bool?
                do {
                    changed = try await catalog.update(id) { record -> Bool in
                        defer { record.retired = true }
                        return !record.retired
                    }
                } catch {
                    throw EngineError(error)
                }
                if changed == true {
                    logger.info("backup retired: its archive stays only for backups that reference it", metadata: ["backup.id": "\(id)"])
                }
            }
        }
        if !dryRun && (!report.removed.isEmpty || !report.failed.isEmpty) {
            logger.info(
                "pruned",
                metadata: [
                    "prune.removed": "\(report.removed.count)", "prune.kept": "\(report.kept.count)",
                    "prune.failed": "\(report.failed.count)",
                ])
        }
        return report
    }

    /// Why backup `id` cannot be removed right now, if it cannot.
    func busyReason(_ id: String) -> String? {
        if jobs.values.contains(where: { $0.recordID == id }) { return "it is being written" }
        if let reader = readers.values.first(where: { $0.backupID == id }) { return "it is being read (\(reader.kind.rawValue))" }
        if copies[id] != nil { return "it is being copied to a target" }
        if removing.contains(id) { return "it is being deleted" }
        return nil
    }

    /// Removes backup `id`'s copy on `target`: marks the delivery `deleting`, removes the archive
    /// and sidecar, drops the delivery, and drops the record when no target holds it any more.
    func removeDelivery(_ id: String, from targetName: String) async throws(EngineError) {
        removing.insert(id)
        defer { removing.remove(id) }
        let marked: String?
        do {
            marked =
                try await catalog.update(id) { record -> String? in
                    guard let index = record.deliveries.firstIndex(where: { $0.target == targetName }) else { return nil }
                    record.deliveries[index].status = .deleting
                    return record.storedKey
                } ?? nil
        } catch {
            throw EngineError(error)
        }
        guard let key = marked else { return }
        try await remove(key, from: targetName)
        do {
            let isLeftNowhere = try await catalog.update(id) { current -> Bool in
                current.deliveries.removeAll { $0.target == targetName }
                if let first = current.delivered.first {
                    current.target = first.target
                    current.path = first.location
                }
                return current.delivered.isEmpty && !current.deliveries.contains(where: { $0.status == .deleting })
            }
            guard let isLeftNowhere else { return }
            if isLeftNowhere {
                // No copy left anywhere: a failed delivery has nothing to be copied from either.
                try await catalog.remove(id)
                logger.info("backup pruned from its last target", metadata: ["backup.id": "\(id)", "target.name": "\(targetName)"])
            } else {
                logger.info("backup pruned from a target", metadata: ["backup.id": "\(id)", "target.name": "\(targetName)"])
            }
        } catch {
            throw EngineError(error)
        }
    }

    /// Finishes removals a crash cut short (deliveries left `deleting`). Returns a line for each.
    func finishDeletions() async -> [String] {
        var notes: [String] = []
        for record in await catalog.list() {
            for delivery in record.deliveries where delivery.status == .deleting {
                do {
                    try await removeDelivery(record.id, from: delivery.target)
                    notes.append("finished removing backup \(record.id) from target \"\(delivery.target)\"")
                } catch {
                    notes.append("cannot finish removing backup \(record.id) from target \"\(delivery.target)\": \(error.message)")
                }
            }
        }
        return notes
    }

    /// Compares each usable target with the catalog: archives the catalog does not know are
    /// reported (`pacactl catalog rebuild` picks them up; they are never deleted), and
    /// deliveries whose archive is missing are marked failed, so a copy from another target
    /// replaces them. Returns a line for each finding. Backups go on meanwhile: a copy counts as
    /// missing only if the catalog had it before the listing, and an archive as unknown only if
    /// the catalog lacks it after the listing too (a backup that began during it is recorded,
    /// with its deliveries pending, before its archive is written).
    func reconcileTargets() async -> [String] {
        var notes: [String] = []
        let records = await catalog.list()
        for target in config.targets {
            guard case .success(let built) = targets[target.name] else { continue }
            let objects: [TargetObject]
            do throws(TargetError) { objects = try await built.list() } catch {
                notes.append("cannot list target \"\(target.name)\" to compare it with the catalog: \(error.message)")
                continue
            }
            let present = Swift.Set(objects.map(\.key))
            let known = Swift.Set(
                (records + (await catalog.list())).filter { $0.deliveries.contains { $0.target == target.name } }.map(\.storedKey))
            for record in records {
                let key = record.storedKey
                guard record.deliveries.contains(where: { $0.target == target.name && $0.status == .ok }), !present.contains(key)
                else { continue }
                let now = Int64(clock.now())
                let marked = try? await catalog.update(record.id) { current -> Bool in
                    guard let index = current.deliveries.firstIndex(where: { $0.target == target.name && $0.status == .ok }) else {
                        return false
                    }
                    current.deliveries[index].status = .failed
                    current.deliveries[index].error = "the archive was missing from the target when pacad started"
                    current.deliveries[index].nextAttemptAt = now
                    return true
                }
                guard marked == true else { continue }
                notes.append(
                    "backup \(record.id) is missing from target \"\(target.name)\"; it will be copied from another target if one has it")
            }
            for key in present.subtracting(known).sorted() {
                notes.append(
                    "target \"\(target.name)\" holds \(key), which the catalog does not know (pacactl catalog rebuild --target \(target.name) adds it)"
                )
            }
        }
        return notes
    }

    /// Prunes the set of a backup that just completed, when a retention policy applies to it.
    func pruneAfterBackup(of set: String) async {
        guard config.set(named: set).map({ set in set.targets.contains { config.retention(set: set.name, target: $0) != nil } }) == true
        else { return }
        do {
            let report = try await prune(set: set, dryRun: false)
            for item in report.failed {
                logger.warning(
                    "a backup retention would remove was kept",
                    metadata: ["backup.id": "\(item.id)", "target.name": "\(item.target)", "error": "\(item.problem ?? "")"])
            }
        } catch {
            logger.error("pruning after a backup failed", metadata: ["backup.set": "\(set)", "error": "\(error.message)"])
        }
    }
}
