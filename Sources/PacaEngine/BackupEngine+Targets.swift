import PacaArchive
import PacaCatalog
import PacaConfig
import PacaCore
import PacaSystem
public import PacaTargets

extension BackupEngine {
    /// Builds the targets of the current configuration (off the cooperative pool: a credentials
    /// file may be read), keeping the ones whose settings did not change.
    func buildTargets() async {
        guard builtTargets != config.targets else { return }
        let previous = builtTargets ?? []
        let wanted = config.targets
        let (factory, identities, uploads) = (self.factory, self.identities, self.uploads)
        let changed = wanted.filter { !previous.contains($0) }
        let made = await BlockingPool.shared.run {
            changed.map { ($0.name, factory.make($0, identities: identities, uploads: uploads).mapError(EngineError.init)) }
        }
        var next: [String: Result<any ArchiveTarget, EngineError>] = [:]
        for target in wanted { next[target.name] = targets[target.name] }
        for (name, result) in made { next[name] = result }
        targets = next
        builtTargets = wanted
        for (name, result) in made {
            switch result {
            case .failure(let error):
                logger.error("target cannot be used", metadata: ["target.name": "\(name)", "error": "\(error.message)"])
            case .success(let target):
                // A new directory target's root is claimed now; later it must stay (see DirectoryTarget).
                // Buckets are claimed after READY (prepareRemote): claiming one is a request.
                guard target is DirectoryTarget else { continue }
                await claim(target, named: name)
            }
        }
        targetStates = targetStates.filter { next[$0.key] != nil }
    }

    /// Makes sure `target`'s root (a folder, a bucket prefix) is that target's (its `claim`),
    /// logging what it did or why the root is refused. One claim of a root at a time: a caller
    /// arriving during one (a backup beside the start-up claim) waits for it, since two would
    /// each write a marker of their own and the later would refuse the earlier's id.
    func claim(_ target: any ArchiveTarget, named name: String) async {
        let claiming = claims[name] ?? Task { await claimNow(target, named: name) }
        claims[name] = claiming
        await claiming.value
        if claims[name] == claiming { claims[name] = nil }
    }

    private func claimNow(_ target: any ArchiveTarget, named name: String) async {
        let last = await catalog.list().filter { record in record.delivered.contains { $0.target == name } }
            .max { ($0.startedAt, $0.id) < ($1.startedAt, $1.id) }
        do {
            let note = try await target.claim(lastDelivered: last.map(\.storedKey), now: Int64(clock.now()))
            if let note { logger.notice("\(note)", metadata: ["target.name": "\(name)"]) }
        } catch {
            logger.error("target root refused", metadata: ["target.name": "\(name)", "error": "\(error.message)"])
        }
    }

    /// Claims the targets whose root was refused so far (a disk mounted since, a prefix fixed):
    /// run with each check.
    func claimUnclaimedTargets() async {
        for (name, result) in targets {
            guard case .success(let built) = result, identities.id(of: name) == nil else { continue }
            await claim(built, named: name)
        }
    }

    /// `target.init`: makes the existing folder of directory target `name` that target's on
    /// purpose (a new `.paca-target`). Returns what it did.
    public func adoptTarget(_ name: String) async throws(EngineError) -> String {
        let built: any ArchiveTarget
        switch await target(name) {
        case .success(let found): built = found
        case .failure(let error): throw error
        }
        do throws(TargetError) {
            let note = try await built.adopt(now: Int64(clock.now()))
            logger.notice("\(note)", metadata: ["target.name": "\(name)"])
            return note
        } catch {
            throw EngineError(error)
        }
    }

    /// The target named `name`, or why it cannot be used.
    func target(_ name: String) async -> Result<any ArchiveTarget, EngineError> {
        await buildTargets()
        guard let found = targets[name] else {
            return .failure(EngineError(.notFound, "no target named \"\(name)\" in the configuration"))
        }
        // Not claimed yet (a bucket before prepareRemote got to it, a disk mounted since): now.
        if case .success(let built) = found, identities.id(of: name) == nil { await claim(built, named: name) }
        return found
    }

    /// Everything ``prepareLocal()`` and ``prepareRemote()`` do, in order (for tests and tools
    /// that want the start-up work done before they go on).
    public func prepare() async -> [String] {
        await prepareLocal() + (await prepareRemote())
    }

    /// Run at start before any backup and before READY, and quick: builds the targets, creates
    /// missing directory roots, removes partial files interrupted writes left in directory
    /// targets, and learns each target's last delivery from the catalog.
    public func prepareLocal() async -> [String] {
        await buildTargets()
        var notes: [String] = []
        // Downloads a killed daemon left behind: nothing uses them now.
        let scratch = config.stateDirectory + "/scratch"
        let removed = await BlockingPool.shared.run { () -> [String] in
            DurableFile.names(in: scratch).filter { (try? DurableFile.removeTree(scratch + "/" + $0)) != nil }
        }
        if !removed.isEmpty { notes.append("removed \(removed.count) leftover download(s) from \(scratch)") }
        for target in config.targets {
            guard case .success(let built) = targets[target.name], built is DirectoryTarget else { continue }
            notes += await sweep(built, named: target.name)
        }
        for record in await catalog.list() {
            for delivery in record.delivered {
                let known = targetStates[delivery.target]?.lastDeliveryAt ?? 0
                if let at = delivery.deliveredAt, at > known { noteDelivery(to: delivery.target, at: at) }
            }
        }
        await checkTargets(onlyDirectories: true)
        return notes
    }

    /// The start-up work that talks to targets over the network, so it runs after READY (the
    /// target service does it first): aborts multipart uploads a killed daemon left (never one
    /// this process started), finishes removals a crash cut short, compares every target with
    /// the catalog, and checks each target. An unreachable bucket delays nothing but itself.
    public func prepareRemote() async -> [String] {
        await buildTargets()
        var notes: [String] = []
        for target in config.targets {
            guard case .success(let built) = targets[target.name], !(built is DirectoryTarget) else { continue }
            notes += await sweep(built, named: target.name)
        }
        for target in config.targets where identities.id(of: target.name) == nil {
            guard case .success(let built) = targets[target.name], built is S3Target else { continue }
            await claim(built, named: target.name)
        }
        notes += await finishDeletions()
        notes += await reconcileTargets()
        await checkTargets()
        return notes
    }

    /// What sweeping `target` removed, a line each (or why it could not be swept).
    private func sweep(_ target: any ArchiveTarget, named name: String) async -> [String] {
        do { return try await target.sweep().map { "target \"\(name)\": removed \($0)" } } catch { return [error.message] }
    }

    /// Checks every target, then retries deliveries that are due. The daemon calls this every
    /// ``Timing/checkInterval``.
    public func maintain() async {
        guard !isStopping else { return }
        await claimUnclaimedTargets()
        await checkTargets()
        await retryDueDeliveries()
    }

    /// Each configured target with what its last check found.
    public func targetStatus() async -> [TargetState] {
        let failed = await failedDeliveryCounts()
        let copies = await scrubCopies()
        let now = Int64(clock.now())
        return config.targets.map { target in
            var state = targetStates[target.name] ?? TargetState(name: target.name)
            state.name = target.name
            switch target.kind {
            case .directory(let path):
                state.type = "directory"
                state.location = path
            case .s3:
                state.type = "s3"
                if case .success(let built) = targets[target.name] { state.location = built.display }
            }
            if case .failure(let error) = targets[target.name] { state.problem = error.message }
            state.failedDeliveries = failed[target.name] ?? 0
            state.scrubEvery = target.scrub.every
            state.oldestUnverifiedSeconds = copies[target.name].map { ScrubPlan.oldestCheck($0, now: now) }
            return state
        }
    }

    /// Checks the targets (only the local ones with `onlyDirectories`, which never wait on a network).
    func checkTargets(onlyDirectories: Bool = false) async {
        await buildTargets()
        let now = Int64(clock.now())
        await withTaskGroup(of: (String, TargetCheck).self) { group in
            for (name, result) in targets {
                guard case .success(let target) = result, !onlyDirectories || target is DirectoryTarget else { continue }
                group.addTask { (name, await target.check()) }
            }
            for await (name, check) in group {
                let previous = targetStates[name]?.problem
                var state = targetStates[name] ?? TargetState(name: name)
                state.problem = check.problem
                state.freeBytes = check.freeBytes
                state.checkedAt = now
                targetStates[name] = state
                if let problem = check.problem, problem != previous {
                    logger.warning("target is not usable", metadata: ["target.name": "\(name)", "error": "\(problem)"])
                } else if check.problem == nil, previous != nil {
                    logger.notice("target is usable again", metadata: ["target.name": "\(name)"])
                }
            }
        }
    }

    func noteDelivery(to name: String, at time: Int64) {
        var state = targetStates[name] ?? TargetState(name: name)
        state.lastDeliveryAt = max(state.lastDeliveryAt ?? 0, time)
        targetStates[name] = state
    }

    private func failedDeliveryCounts() async -> [String: Int] {
        var counts: [String: Int] = [:]
        for record in await catalog.failedDeliveries() {
            for delivery in record.deliveries where delivery.status == .failed { counts[delivery.target, default: 0] += 1 }
        }
        return counts
    }

    /// When the next attempt of a delivery that failed `attempts` times is due.
    nonisolated func nextAttempt(after attempts: Int, now: Int64) -> Int64 {
        Self.nextAttempt(after: attempts, now: now, timing: timing)
    }

    static func nextAttempt(after attempts: Int, now: Int64, timing: Timing) -> Int64 {
        let delay = min(timing.retryDelay * Double(1 << min(max(attempts - 1, 0), 20)), timing.maximumRetryDelay)
        return now + Int64(delay.rounded(.up))
    }

    /// Copies each backup that a target missed from a target that has it, when its retry is due.
    func retryDueDeliveries() async {
        let now = Int64(clock.now())
        for record in await catalog.failedDeliveries() where record.isRestorePoint && copies[record.id] == nil {
            for delivery in record.deliveries where delivery.status == .failed && (delivery.nextAttemptAt ?? 0) <= now {
                guard config.target(named: delivery.target) != nil else { continue }
                await copy(record.id, to: delivery.target)
            }
        }
    }

    /// The archive at `key` on `target` as a local file (a download for a bucket).
    func localCopy(_ key: String, from target: any ArchiveTarget) async throws(EngineError) -> LocalArchive {
        do { return try await target.localCopy(of: key, scratchDirectory: config.stateDirectory + "/scratch") } catch {
            throw EngineError(error)
        }
    }

    /// Copies backup `id` to target `name` from a target that has it, checking the SHA-256 of
    /// what is copied against the catalog before the copy becomes visible. One copy of a backup to
    /// a target at a time (a scrub's repair and a retry may ask together; a second caller waits for
    /// the first, as two would write one partial file), and none of a backup being removed.
    func copy(_ id: String, to name: String) async {
        guard !removing.contains(id) else { return }
        let copying = copies[id]?[name] ?? Task { await copyNow(id, to: name) }
        copies[id, default: [:]][name] = copying
        await copying.value
        if copies[id]?[name] == copying { copies[id]?[name] = nil }
        if copies[id]?.isEmpty == true { copies[id] = nil }
    }

    private func copyNow(_ id: String, to name: String) async {
        guard !isStopping, let record = await catalog.record(id), let sha256 = record.sha256 else { return }
        let key = record.storedKey
        var failure: String?
        let destination = await target(name)
        var source: LocalArchive?
        do throws(EngineError) {
            // A backup is whole on a target only with every archive it references there too.
            for reference in record.references {
                guard let missing = await catalog.record(reference) else {
                    throw EngineError(.storage, "backup \(reference), whose archive this backup needs, is not in the catalog")
                }
                guard !missing.deliveries.contains(where: { $0.target == name && $0.status == .ok }) else { continue }
                if !missing.deliveries.contains(where: { $0.target == name }) {
                    let location = (try? destination.get().location(of: missing.storedKey)) ?? name
                    do {
                        try await catalog.update(reference) { current in
                            current.deliveries.append(Delivery(target: name, status: .failed, location: location))
                        }
                    } catch {
                        throw EngineError(error)
                    }
                }
                await copy(reference, to: name)
                guard
                    await catalog.record(reference)?.deliveries.contains(where: { $0.target == name && $0.status == .ok }) == true
                else {
                    throw EngineError(
                        .storage, "backup \(reference), whose archive this backup needs, could not be copied to \"\(name)\" yet")
                }
            }
            let target = try destination.get()
            let origins = record.delivered.filter { $0.target != name }.compactMap { delivery -> (any ArchiveTarget)? in
                if case .success(let origin) = targets[delivery.target] { origin } else { nil }
            }
            guard !origins.isEmpty else { throw EngineError(.storage, "no configured target holds backup \(id) to copy it from") }
            // Each copy in turn: one may be damaged too (its bytes are checked against the catalog).
            var problems: [String] = []
            for origin in origins {
                do throws(EngineError) {
                    let local = try await localCopy(key, from: origin)
                    source = local
                    // Whatever the target holds under the key is no copy the catalog counts (a
                    // damaged one a scrub found, or an upload whose record was never written):
                    // replaced.
                    do throws(TargetError) { try await target.remove(key) } catch { throw EngineError(error) }
                    let upload: any ArchiveUpload
                    do throws(TargetError) { upload = try await target.beginUpload(key) } catch { throw EngineError(error) }
                    let result = await SystemThread.run { () -> Result<Void, TargetError> in
                        ArchiveCopy.copy(local.path, into: upload, expecting: sha256)
                    }
                    await release(local)
                    source = nil
                    try result.mapError(EngineError.init).get()
                    problems = []
                    break
                } catch {
                    problems.append(error.message)
                }
            }
            if !problems.isEmpty { throw EngineError(.storage, problems.joined(separator: "; ")) }
        } catch {
            failure = error.message
        }
        if let source { await release(source) }
        let now = Int64(clock.now())
        let failed = failure
        let timing = self.timing
        let attempts: Int?
        do {
            attempts =
                try await catalog.update(id) { current -> Int? in
                    guard let index = current.deliveries.firstIndex(where: { $0.target == name }) else { return nil }
                    current.deliveries[index].attempts += 1
                    if let failed {
                        current.deliveries[index].status = .failed
                        current.deliveries[index].error = failed
                        current.deliveries[index].nextAttemptAt = Self.nextAttempt(
                            after: current.deliveries[index].attempts, now: now, timing: timing)
                    } else {
                        current.deliveries[index].status = .ok
                        current.deliveries[index].error = nil
                        current.deliveries[index].nextAttemptAt = nil
                        current.deliveries[index].deliveredAt = now
                    }
                    return current.deliveries[index].attempts
                } ?? nil
        } catch {
            logger.error("cannot record a delivery", metadata: ["backup.id": "\(id)", "error": "\(error)"])
            return
        }
        guard let attempts else { return }
        if let failure {
            logger.warning(
                "delivery retry failed",
                metadata: ["backup.id": "\(id)", "target.name": "\(name)", "error": "\(failure)", "delivery.attempts": "\(attempts)"])
        } else {
            noteDelivery(to: name, at: now)
            logger.info("backup delivered on retry", metadata: ["backup.id": "\(id)", "target.name": "\(name)"])
        }
    }
}
