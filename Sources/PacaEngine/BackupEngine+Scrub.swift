import Logging
import PacaArchive
import PacaCatalog
public import PacaCore
import PacaSystem
import PacaTargets

/// What reading back one copy found.
enum CopyCheck {
    case good(bytes: UInt64)
    /// The copy is not as written: `problem` says how, `lost` names its damaged entries (empty
    /// when the whole archive is missing or unreadable).
    case damaged(problem: String, lost: [String])
    /// Not checked this time (the target cannot be reached, the pass was stopped).
    case skipped(String)
}

extension BackupEngine {
    /// Reads back copies on target `name` at its `scrub_rate`, at idle I/O priority, and checks
    /// each against the catalog (``ArchiveVerifier`` with the recorded digests). With `all`, every
    /// copy there (`pacactl scrub`); otherwise the copies ``ScrubPlan`` says are due. A damaged or
    /// missing copy is marked failed and copied again from a good copy on another target; a
    /// backup with no good copy left becomes `damaged`, listing its lost files. A pass already
    /// running on the target is joined, not doubled.
    public func scrub(_ name: String, all: Bool) async throws(EngineError) -> ScrubReport {
        guard let configured = config.target(named: name) else {
            throw EngineError(.notFound, "no target named \"\(name)\" (targets: \(config.targets.map(\.name).joined(separator: ", ")))")
        }
        guard !isStopping else { throw EngineError(.cancelled, "the daemon is stopping; no scrub starts") }
        if let running = scrubs[name] { return await running.task.value }
        let number = nextReader
        nextReader += 1
        let pacer = ReadPacer(bytesPerSecond: configured.scrub.rate)
        let task = Task { await self.scrubPass(name, all: all, pacer: pacer) }
        scrubs[name] = (number, task, pacer)
        // The caller giving up (the daemon's scrub loop, stopping) stops the pass at its next read.
        let report = await withTaskCancellationHandler {
            await task.value
        } onCancel: {
            pacer.stop()
        }
        if scrubs[name]?.number == number { scrubs[name] = nil }
        return report
    }

    /// Runs the scheduled pass of every target that scrubs (``DaemonConfig/Target/Scrub/every``),
    /// one target after another. The daemon calls this every ``Timing/scrubInterval``.
    public func scrubDue() async {
        for target in config.targets where target.scrub.every != nil {
            guard !isStopping, !Task.isCancelled else { return }
            _ = try? await scrub(target.name, all: false)
        }
    }

    /// The copies on each target that scrubs read: the deliveries that hold a readable backup.
    func scrubCopies() async -> [String: [ScrubPlan.Copy]] {
        var copies: [String: [ScrubPlan.Copy]] = [:]
        for record in await catalog.records(where: \.isReadable) {
            for delivery in record.deliveries where delivery.status == .ok {
                let checked = delivery.verifiedAt ?? delivery.deliveredAt ?? record.finishedAt ?? record.startedAt
                copies[delivery.target, default: []].append(ScrubPlan.Copy(id: record.id, checkedAt: checked, bytes: record.bytesStored))
            }
        }
        return copies
    }

    private func scrubPass(_ name: String, all: Bool, pacer: ReadPacer) async -> ScrubReport {
        let started = clock.now()
        var report = ScrubReport(target: name)
        let copies = await scrubCopies()[name] ?? []
        var chosen = copies.sorted { ($0.checkedAt, $0.id) < ($1.checkedAt, $1.id) }.map(\.id)
        if !all {
            guard let every = config.target(named: name)?.scrub.every else { return report }
            let interval = Int64(timing.scrubInterval.components.seconds)
            chosen = ScrubPlan(period: every, interval: interval).due(copies, now: Int64(started))
        }
        guard !chosen.isEmpty else { return report }
        // An unmounted disk or a foreign prefix would make every copy look missing: the target
        // must pass its check (marker and all) before anything is judged.
        let target: any ArchiveTarget
        switch await self.target(name) {
        case .success(let built):
            if let problem = await built.check().problem {
                for id in chosen { report.skipped[id] = problem }
                logger.warning("scrub skipped: the target is not usable", metadata: ["target.name": "\(name)", "error": "\(problem)"])
                return report
            }
            target = built
        case .failure(let error):
            for id in chosen { report.skipped[id] = error.message }
            return report
        }
        for id in chosen {
            guard !isStopping, !pacer.isStopped else {
                report.skipped[id] = "the daemon is stopping"
                continue
            }
            guard let record = await catalog.record(id), record.isReadable,
                record.deliveries.contains(where: { $0.target == name && $0.status == .ok })
            else { continue }
            if let busy = busyReason(id) {
                report.skipped[id] = busy
                continue
            }
            guard let reader = try? beginReading(.scrub, record, RunProgress()) else { continue }  // busyReason says why not
            let found = await checkCopy(record, on: target, pacer: pacer)
            readers[reader] = nil
            let now = Int64(clock.now())
            switch found {
            case .good(let bytes):
                report.verified.append(id)
                report.bytes += bytes
                await markVerified(id, on: name, at: now)
            case .damaged(let problem, let lost):
                report.damaged[id] = problem
                if await markDamaged(id, on: name, problem: problem, lost: lost, now: now) { report.lost.append(id) }
            case .skipped(let why):
                report.skipped[id] = why
            }
        }
        // Each damaged copy that has a good copy elsewhere is copied again now (checked against
        // the catalog's SHA-256 as it is written); one that cannot be waits for the delivery retry.
        for id in report.damaged.keys.sorted() where !report.lost.contains(id) && !isStopping {
            await copy(id, to: name)
            if await catalog.record(id)?.deliveries.contains(where: { $0.target == name && $0.status == .ok }) == true {
                report.repaired.append(id)
            }
        }
        report.seconds = clock.now() - started
        var state = targetStates[name] ?? TargetState(name: name)
        state.lastScrubAt = Int64(clock.now())
        targetStates[name] = state
        let metadata: Logger.Metadata = [
            "target.name": "\(name)", "scrub.verified": "\(report.verified.count)", "scrub.damaged": "\(report.damaged.count)",
            "scrub.repaired": "\(report.repaired.count)", "scrub.lost": "\(report.lost.count)", "scrub.bytes": "\(report.bytes)",
        ]
        if report.damaged.isEmpty {
            logger.info("scrub pass done", metadata: metadata)
        } else {
            logger.error("scrub found damage", metadata: metadata)
        }
        return report
    }

    /// Reads back the copy of `record` on `target` and checks it against the catalog.
    /// Reads each delivered copy of `id` back, as a scrub does, and marks the good ones verified:
    /// done after a checkpoint capture's backup, so that `keep_best` may let it displace an older best.
    func verifyCopies(of id: String) async -> BackupRecord? {
        guard let record = await catalog.record(id) else { return nil }
        for delivery in record.delivered {
            guard let target = try? await target(delivery.target).get(),
                case .good = await checkCopy(record, on: target, pacer: ReadPacer(bytesPerSecond: 0))
            else { continue }
            await markVerified(id, on: delivery.target, at: Int64(clock.now()))
        }
        return await catalog.record(id)
    }

    private func markVerified(_ id: String, on name: String, at now: Int64) async {
        try? await catalog.update(id) { current in
            guard let index = current.deliveries.firstIndex(where: { $0.target == name && $0.status == .ok }) else { return }
            current.deliveries[index].verifiedAt = now
        }
    }

    private func checkCopy(_ record: BackupRecord, on target: any ArchiveTarget, pacer: ReadPacer) async -> CopyCheck {
        let local: LocalArchive
        do throws(TargetError) {
            local = try await target.localCopy(
                of: record.storedKey, scratchDirectory: config.stateDirectory + "/scratch")
        } catch {
            return error.code == .missing ? .damaged(problem: error.message, lost: []) : .skipped(error.message)
        }
        let path = local.path
        let cataloged = CatalogDigests(sha256: record.sha256, manifestSha256: record.manifestSha256)
        let outcome = await SystemThread.run { () -> Result<VerificationResult, ArchiveError> in
            SystemThread.lowerIOPriority()
            return Result { () throws(ArchiveError) in try ArchiveVerifier.verify(path, cataloged: cataloged, threads: 1, pacer: pacer) }
        }
        await release(local)
        switch outcome {
        case .success(let result) where result.isValid:
            return .good(bytes: record.bytesStored)
        case .success(let result) where result.catalog == "ok" && result.sidecar != "ok" && result.problems.count == 1:
            // Only the sidecar is missing or wrong, and the archive has the SHA-256 the catalog
            // recorded: the copy is good (`backup verify` still reports the sidecar).
            logger.warning(
                "scrub: the copy is good but its sidecar is not", metadata: ["backup.id": "\(record.id)", "target.name": "\(target.name)"])
            return .good(bytes: record.bytesStored)
        case .success(let result):
            let first = result.problems.first.map { ($0.entry.map { "\(NameBytes.display($0)): " } ?? "") + $0.message } ?? "it is damaged"
            return .damaged(problem: first, lost: Array(Set(result.problems.compactMap(\.entry))).sorted())
        case .failure(let error) where error.code == .cancelled:
            return .skipped("the scrub was stopped")
        case .failure(let error):
            return .damaged(problem: error.description, lost: [])
        }
    }

    /// Marks the copy of `id` on target `name` failed (due for a retry now). When no good copy
    /// is left, the backup becomes damaged and lists `lost`; returns true then.
    private func markDamaged(_ id: String, on name: String, problem: String, lost: [String], now: Int64) async -> Bool {
        let becameDamaged: Bool?
        do {
            becameDamaged = try await catalog.update(id) { $0.markCopyDamaged(on: name, problem: problem, lost: lost, now: now) }
        } catch {
            logger.error("cannot record a damaged copy", metadata: ["backup.id": "\(id)", "target.name": "\(name)", "error": "\(error)"])
            return false
        }
        logger.error("scrub found a damaged copy", metadata: ["backup.id": "\(id)", "target.name": "\(name)", "error": "\(problem)"])
        return becameDamaged == true
    }
}
