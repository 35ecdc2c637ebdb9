import PacaArchive
import PacaCatalog
import PacaCore
import PacaEngine
import PacaProtocol
import PacaSystem

extension MethodRouter {
    /// `backup.create`: backs a set up now. Waits for the end by default and returns the backup's
    /// record; with `"wait": false` returns as soon as the request is admitted (started, or queued
    /// behind a running backup of the set).
    func createBackup(_ params: BackupCreateParams, _ send: @escaping ProgressSink) async throws(RPCError) -> BackupCreateResult {
        let engine = context.engine
        let ticket: BackupEngine.Ticket
        let mode: BackupEngine.BackupMode = params.full ? .full : params.rehash ? .rehash : .changes
        let sets = await context.configuration.config.sets
        if let name = params.set ?? (sets.count == 1 ? sets[0].name : nil), sets.contains(where: { $0.name == name }) {
            try requireSet(name)
        }
        do { ticket = try await engine.requestBackup(set: params.set, trigger: .manual, reason: params.reason, mode: mode) } catch {
            throw RPCError(error)
        }
        guard params.wait else {
            var admission = BackupAdmission()
            admission.set = ticket.set
            admission.status = ticket.isQueued ? .queued : .running
            admission.id = await engine.progress(of: ticket)?.id
            return .admitted(admission)
        }
        return .finished(try await awaitBackup(ticket, progress: params.progress, send: send))
    }

    /// Reads the progress of the backup of `ticket` for ``ProgressReporter`` (phase `queued` until it starts).
    static func progress(of ticket: BackupEngine.Ticket, in engine: BackupEngine) -> @Sendable () async -> Progress? {
        {
            guard let current = await engine.progress(of: ticket) else { return nil }
            return Progress(current.progress, backup: current.id, phase: current.id == nil ? .queued : .backup)
        }
    }

    /// Waits for the backup of `ticket`, sending progress notifications when asked, and returns its
    /// record; a backup that did not complete is an error whose data carries the record.
    func awaitBackup(_ ticket: BackupEngine.Ticket, progress wanted: Bool, send: @escaping ProgressSink) async throws(RPCError) -> Backup {
        let engine = context.engine
        let record = try await ProgressReporter.run(
            enabled: wanted, clock: context.clock, read: Self.progress(of: ticket, in: engine), send: send
        ) { () throws(RPCError) in
            do throws(EngineError) { return try await engine.outcome(of: ticket) } catch { throw RPCError(error) }
        }
        let backup = Backup(record)
        switch record.status {
        case .complete, .partial: return backup
        case .cancelled: throw RPCError(.busy, "backup \(record.id) was cancelled: \(record.error ?? "")", data: ["backup": backup.wire])
        default: throw RPCError(.storageError, "backup \(record.id) failed: \(record.error ?? "")", data: ["backup": backup.wire])
        }
    }

    /// `backup.list`. Without `filter`, `sort_by`, `sort_order` or `offset`: backups oldest
    /// first, the newest `limit` when given. With any of them the catalog's record store answers
    /// the query, `set` and `status` narrowing it further.
    func listBackups(_ params: BackupListParams) async throws(RPCError) -> BackupList {
        guard params.isQuery else {
            var records = await context.catalog.list(set: params.set).filter { mayUse(set: $0.set) }
            if let status = params.status { records = records.filter { $0.status.rawValue == status.rawValue } }
            if let limit = params.limit, records.count > Int(limit) { records = Array(records.suffix(Int(limit))) }
            // Without a limit, the oldest page; the next ones are queries from next_offset (same order).
            let page = Int(Page.size)
            guard params.limit == nil, records.count > page else { return BackupList(backups: records.map(Backup.init)) }
            return BackupList(backups: records.prefix(page).map(Backup.init), nextOffset: Page.size)
        }
        let pageSize = params.limit ?? Page.size
        var query = Self.query(
            filter: params.filter, sortBy: params.sortBy, order: params.sortOrder, limit: pageSize + 1, offset: params.offset)
        var narrowing: [Filter] = []
        if let set = params.set { narrowing.append(.compare(FieldPath(["set"]), .eq, .string(set))) }
        if let status = params.status { narrowing.append(.compare(FieldPath(["status"]), .eq, .string(status.rawValue))) }
        // Sets limited to other callers are left out of the query itself, so limits and offsets count right.
        let hidden = await context.configuration.config.sets.map(\.name).filter { !mayUse(set: $0) }
        for name in hidden { narrowing.append(.not(.compare(FieldPath(["set"]), .eq, .string(name)))) }
        if !narrowing.isEmpty { query.filter = .and(narrowing + (query.filter.map { [$0] } ?? [])) }
        do throws(CatalogError) {
            // One more than the page tells whether another page follows.
            let found = try await context.catalog.query(query)
            let more = found.count > Int(pageSize)
            return BackupList(
                backups: found.prefix(Int(pageSize)).map(Backup.init), nextOffset: more ? (params.offset ?? 0) + pageSize : nil)
        } catch {
            throw RPCError(EngineError(error))
        }
    }

    /// The query the list params describe.
    static func query(filter: Filter?, sortBy: String?, order: SortOrder?, limit: Int64?, offset: Int64?) -> Query {
        var query = Query()
        query.filter = filter
        if let sortBy { query.sortBy = FieldPath(dotted: sortBy) }
        if let order { query.order = order }
        query.limit = limit.map(Int.init)
        query.offset = Int(offset ?? 0)
        return query
    }

    /// `backup.show`: one backup's record.
    func showBackup(_ params: BackupIDParams) async throws(RPCError) -> Backup {
        return Backup(try await visibleRecord(params.id))
    }

    /// `backup.pin`: keeps a backup whatever retention says (`pinned: false` unpins).
    func pinBackup(_ params: BackupPinParams) async throws(RPCError) -> Backup {
        do { return Backup(try await context.engine.pin(params.id, pinned: params.pinned)) } catch { throw RPCError(error) }
    }

    /// `backup.prune`: applies retention now; reports what was kept and removed.
    func pruneBackups(_ params: BackupPruneParams) async throws(RPCError) -> PacaProtocol.PruneReport {
        let report: PacaCatalog.PruneReport
        do { report = try await context.engine.prune(set: params.set, dryRun: params.dryRun) } catch { throw RPCError(error) }
        var result = PacaProtocol.PruneReport()
        result.dryRun = report.dryRun
        result.kept = report.kept.map(PacaProtocol.PruneItem.init)
        result.removed = report.removed.map(PacaProtocol.PruneItem.init)
        result.failed = report.failed.map(PacaProtocol.PruneItem.init)
        return result
    }

    /// `catalog.rebuild`: catalogs every archive on the target that the catalog lacks.
    /// `catalog.describe`.
    func describeSealed(_ params: CatalogDescribeParams) async throws(RPCError) -> Backup {
        let description = SealedDescription(
            manifestSha256: params.manifestSha256, files: params.files, bytesIn: params.bytesIn, bytesWritten: params.bytesWritten,
            filesReferenced: params.filesReferenced, bytesReferenced: params.bytesReferenced, references: params.references,
            base: params.base)
        do throws(EngineError) { return Backup(try await context.engine.describeSealed(params.id, description)) } catch {
            throw RPCError(error)
        }
    }

    func rebuildCatalog(_ params: CatalogRebuildParams, _ send: @escaping ProgressSink) async throws(RPCError)
        -> PacaProtocol.RebuildReport
    {
        // Reading the manifests of a target of large archives takes minutes: heartbeats keep the caller waiting.
        let (engine, target) = (context.engine, params.target)
        let idle = Progress(RunProgress().snapshot, backup: nil, phase: .rebuild)
        let report = try await ProgressReporter.run(enabled: params.progress, clock: context.clock, read: { idle }, send: send) {
            () throws(RPCError) -> PacaCatalog.RebuildReport in
            do throws(EngineError) { return try await engine.rebuildCatalog(from: target) } catch { throw RPCError(error) }
        }
        var result = PacaProtocol.RebuildReport()
        result.target = report.target
        result.added = report.added
        result.updated = report.updated
        result.known = report.known
        result.problems = report.problems.sorted { $0.key < $1.key }.map { RebuildProblem(key: $0.key, error: $0.value) }
        return result
    }

    /// `target.init`: adopts a directory target's folder (a new `.paca-target`).
    func initTarget(_ params: TargetInitParams) async throws(RPCError) -> TargetInitialized {
        do { return TargetInitialized(target: params.target, message: try await context.engine.adoptTarget(params.target)) } catch {
            throw RPCError(error)
        }
    }

    /// `scrub.run` (admins): a scrub pass of one target or of each in turn, reading every copy.
    /// Without `wait` the passes run on after the answer.
    func runScrub(_ params: ScrubRunParams, _ send: @escaping ProgressSink) async throws(RPCError) -> ScrubRun {
        let config = await context.configuration.config
        var names = config.targets.map(\.name)
        if let target = params.target {
            guard names.contains(target) else {
                throw RPCError(.notFound, "no target named \"\(target)\" (targets: \(names.joined(separator: ", ")))")
            }
            names = [target]
        }
        var run = ScrubRun()
        run.started = names
        let (engine, chosen) = (context.engine, names)
        guard params.wait else {
            Task {
                for name in chosen { _ = try? await engine.scrub(name, all: true) }
            }
            return run
        }
        // A pass reads at the scrub rate and may take hours: heartbeats keep the caller waiting.
        let idle = Progress(RunProgress().snapshot, backup: nil, phase: .scrub)
        run.reports = try await ProgressReporter.run(enabled: params.progress, clock: context.clock, read: { idle }, send: send) {
            () throws(RPCError) in
            var reports: [ScrubTargetReport] = []
            for name in chosen {
                do throws(EngineError) { reports.append(ScrubTargetReport(try await engine.scrub(name, all: true))) } catch {
                    throw RPCError(error)
                }
            }
            return reports
        }
        return run
    }

    /// `backup.verify`: checks the archive end to end; `ok` says how it went.
    func verifyBackup(_ params: BackupVerifyParams, _ send: @escaping ProgressSink) async throws(RPCError) -> VerifyResult {
        _ = try await visibleRecord(params.id)
        let limit = await context.configuration.config.limits.verifiesPerCaller
        guard await context.quota.begin(.verify, uid: caller.uid, limit: limit) else {
            throw RPCError(
                .busy, "\(callerName) has \(limit) verifies running already (limits.verifies_per_caller); wait for one to finish")
        }
        let (id, counters, engine, clock) = (params.id, RunProgress(), context.engine, context.clock)
        let verified = await Result { () async throws(RPCError) in
            try await ProgressReporter.run(
                enabled: params.progress, clock: clock, read: { Progress(counters.snapshot, backup: id, phase: .verify) }, send: send
            ) { () throws(RPCError) in
                do throws(EngineError) { return try await engine.verify(id, deep: params.deep, progress: counters) } catch {
                    throw RPCError(error)
                }
            }
        }
        await context.quota.end(.verify, uid: caller.uid)
        return VerifyResult(id: id, try verified.get())
    }

    /// `backup.delete`: removes the archive, its sidecar and the record; returns the record.
    func deleteBackup(_ params: BackupIDParams) async throws(RPCError) -> DeletedBackup {
        do { return DeletedBackup(deleted: Backup(try await context.engine.delete(params.id))) } catch { throw RPCError(error) }
    }

    /// `restore.open`: opens a backup's archives for the caller's own restore. A caller who is
    /// not root is served only what it could have read when the files were backed up.
    func openRestore(_ params: RestoreOpenParams) async throws(RPCError) -> RestoreSession {
        _ = try await visibleRecord(params.id)
        let groups = [caller.gid] + caller.groups.filter { $0 != caller.gid }
        let access = caller.uid == 0 ? nil : ReadAccess(uid: caller.uid, groups: groups)
        let grant: RestoreGrant
        do { grant = try await context.engine.openRestore(params.id, owner: caller.uid, access: access) } catch { throw RPCError(error) }
        var session = RestoreSession()
        session.session = grant.session
        session.id = grant.backupID
        session.set = grant.set
        session.archives = grant.archives.map { RestoreArchive(backup: $0.backup, size: $0.size) }
        session.restricted = grant.limit != nil
        session.uid = UInt64(caller.uid)
        session.groups = groups.map(UInt64.init)
        session.closedRoots = (grant.limit?.closedRoots ?? []).sorted()
        session.idleSeconds = grant.idleSeconds
        session.manifestSha256 = grant.manifestSha256
        return session
    }

    /// `restore.read`: bytes of one of the session's archives.
    func readRestore(_ params: RestoreReadParams) async throws(RPCError) -> RestoreBytes {
        let bytes: [UInt8]
        do {
            bytes = try await context.engine.readRestore(
                params.session, backup: params.backup, offset: params.offset, length: Int(params.length), caller: caller.uid)
        } catch {
            throw RPCError(error)
        }
        return params.binary ? RestoreBytes(attaching: bytes) : RestoreBytes(data: Base64.encode(bytes), length: bytes.count)
    }

    /// `restore.close`: ends a session.
    func closeRestore(_ params: RestoreCloseParams) async throws(RPCError) -> RestoreClosed {
        do {
            let (reads, bytes) = try await context.engine.closeRestore(params.session, caller: caller.uid)
            return RestoreClosed(session: params.session, reads: reads, bytesServed: bytes)
        } catch {
            throw RPCError(error)
        }
    }

    /// `restore.run` (admins): the daemon restores a backup into `to` with its own rights.
    func restore(_ params: RestoreParams, _ send: @escaping ProgressSink) async throws(RPCError) -> RestoreResult {
        _ = try await visibleRecord(params.id)
        let (id, counters, engine) = (params.id, RunProgress(), context.engine)
        let restored = try await ProgressReporter.run(
            enabled: params.progress, clock: context.clock, read: { Progress(counters.snapshot, backup: id, phase: .restore) }, send: send
        ) { () throws(RPCError) in
            do throws(EngineError) {
                return try await engine.restore(
                    id, to: params.to, includes: params.include, overwrite: params.overwrite, progress: counters)
            } catch {
                throw RPCError(error)
            }
        }
        let result = RestoreResult(id: id, restored)
        if !result.problems.isEmpty {
            throw RPCError(.storageError, "restore of \(id) finished with \(result.problems.count) problem(s)", data: result.wire)
        }
        return result
    }
}

extension MethodRouter {
    /// Backup `id`'s record, when the caller may use its set: a backup of a set limited to others
    /// is refused by name (its existence is no secret: ids are in the target's listing anyway).
    func visibleRecord(_ id: String) async throws(RPCError) -> BackupRecord {
        guard let record = await context.catalog.record(id) else { throw RPCError(.notFound, "no backup with id \(id)") }
        try requireSet(record.set)
        return record
    }
}
