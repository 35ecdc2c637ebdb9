import PacaCatalog
import PacaCore
import PacaEngine
import PacaProtocol

extension MethodRouter {
    /// `backup.create {set?, reason?, wait?, progress?}`: backs a set up now. Waits for the end by
    /// default and returns the backup's record; with `"wait": false` returns as soon as the request
    /// is admitted (started, or queued behind a running backup of the set).
    func createBackup(_ request: RPCRequest, progress send: @escaping ProgressSink) async throws(RPCError) -> JSONValue {
        let params = try Params(request, allowed: ["set", "reason", "wait", "progress"])
        let set = try params.string("set")
        let reason = try params.string("reason")
        let wait = try params.bool("wait", default: true)
        let wantsProgress = try params.bool("progress", default: false)
        let engine = context.engine
        let ticket: BackupEngine.Ticket
        do { ticket = try await engine.requestBackup(set: set, trigger: .manual, reason: reason) } catch { throw RPCError(error) }
        guard wait else {
            let started = await engine.progress(of: ticket)
            return .object([
                "set": .string(ticket.set), "status": .string(ticket.isQueued ? "queued" : "running"),
                "id": started?.id.map(JSONValue.string) ?? .null,
            ])
        }
        return try await awaitBackup(ticket, progress: wantsProgress, send: send)
    }

    /// Reads the progress of the backup of `ticket` for ``ProgressReporter`` (phase `queued` until it starts).
    static func progress(of ticket: BackupEngine.Ticket, in engine: BackupEngine) -> @Sendable () async -> JSONValue? {
        {
            guard let current = await engine.progress(of: ticket) else { return nil }
            return ProgressReporter.json(current.progress, id: current.id, phase: current.id == nil ? "queued" : "backup")
        }
    }

    /// Waits for the backup of `ticket`, sending progress notifications when asked, and returns its
    /// record; a backup that did not complete is an error whose data carries the record.
    func awaitBackup(_ ticket: BackupEngine.Ticket, progress wanted: Bool, send: @escaping ProgressSink) async throws(RPCError) -> JSONValue
    {
        let engine = context.engine
        let record = try await ProgressReporter.run(
            enabled: wanted, clock: context.clock, read: Self.progress(of: ticket, in: engine), send: send) {
            () throws(RPCError) in
            do throws(EngineError) { return try await engine.outcome(of: ticket) } catch { throw RPCError(error) }
        }
        let json = try encode(record)
        switch record.status {
        case .complete: return json
        case .cancelled: throw RPCError(.busy, "backup \(record.id) was cancelled: \(record.error ?? "")", data: .object(["backup": json]))
        default: throw RPCError(.storageError, "backup \(record.id) failed: \(record.error ?? "")", data: .object(["backup": json]))
        }
    }

    /// `backup.list {set?, status?, limit?, filter?, sort_by?, sort_order?, offset?}`.
    ///
    /// Without `filter`, `sort_by` or `offset`: backups oldest first, the newest `limit` when
    /// given. With any of them the catalog's record store answers the query: `filter` is the
    /// structured form over the record's fields (`set`, `status`, `bytes_in`, `finished_at`, ...),
    /// in `sort_by` order (default: id, which is oldest first), `limit` and `offset` paging it;
    /// `set` and `status` narrow it further.
    func listBackups(_ request: RPCRequest) async throws(RPCError) -> JSONValue {
        let params = try Params(request, allowed: ["set", "status", "limit", "filter", "sort_by", "sort_order", "offset"])
        let set = try params.string("set")
        let statusText = try params.string("status")
        var status: BackupRecord.Status?
        if let statusText {
            guard let parsed = BackupRecord.Status(rawValue: statusText) else {
                let known = BackupRecord.Status.allCases.map(\.rawValue).joined(separator: ", ")
                throw RPCError(.invalidParams, "backup.list: status \"\(statusText)\" is not one of \(known)")
            }
            status = parsed
        }
        let isQuery = ["filter", "sort_by", "sort_order", "offset"].contains { params.members[$0].map { $0 != .null } ?? false }
        guard isQuery else {
            let limit = try params.integer("limit", in: 1...1_000_000)
            var records = await context.catalog.list(set: set)
            if let status { records = records.filter { $0.status == status } }
            if let limit, records.count > Int(limit) { records = Array(records.suffix(Int(limit))) }
            return .object(["backups": try encode(records)])
        }
        var query = try Self.query(params)
        var narrowing: [Filter] = []
        if let set { narrowing.append(.compare(FieldPath(["set"]), .eq, .string(set))) }
        if let status { narrowing.append(.compare(FieldPath(["status"]), .eq, .string(status.rawValue))) }
        if !narrowing.isEmpty { query.filter = .and(narrowing + (query.filter.map { [$0] } ?? [])) }
        let records: [BackupRecord]
        do throws(CatalogError) { records = try await context.catalog.query(query) } catch { throw RPCError(EngineError(error)) }
        return .object(["backups": try encode(records)])
    }

    /// `backup.show {id}`: one backup's record.
    func showBackup(_ request: RPCRequest) async throws(RPCError) -> JSONValue {
        let params = try Params(request, allowed: ["id"])
        let id = try params.requiredString("id")
        guard let record = await context.catalog.record(id) else { throw RPCError(.notFound, "no backup with id \(id)") }
        return try encode(record)
    }

    /// `backup.pin {id, pinned?}`: keeps a backup whatever retention says (`pinned: false` unpins).
    func pinBackup(_ request: RPCRequest) async throws(RPCError) -> JSONValue {
        let params = try Params(request, allowed: ["id", "pinned"])
        let id = try params.requiredString("id")
        let pinned = try params.bool("pinned", default: true)
        let record: BackupRecord
        do { record = try await context.engine.pin(id, pinned: pinned) } catch { throw RPCError(error) }
        return try encode(record)
    }

    /// `backup.prune {set?, dry_run?}`: applies retention now; reports what was kept and removed.
    func pruneBackups(_ request: RPCRequest) async throws(RPCError) -> JSONValue {
        let params = try Params(request, allowed: ["set", "dry_run"])
        let set = try params.string("set")
        let dryRun = try params.bool("dry_run", default: false)
        let report: PruneReport
        do { report = try await context.engine.prune(set: set, dryRun: dryRun) } catch { throw RPCError(error) }
        func items(_ list: [PruneItem]) -> JSONValue {
            .array(
                list.map { item in
                    .object([
                        "id": .string(item.id), "set": .string(item.set), "target": .string(item.target),
                        "reasons": .array(item.reasons.map(JSONValue.string)), "problem": item.problem.map(JSONValue.string) ?? .null,
                    ])
                })
        }
        return .object([
            "dry_run": .bool(report.dryRun), "kept": items(report.kept), "removed": items(report.removed), "failed": items(report.failed),
        ])
    }

    /// `catalog.rebuild {target}`: catalogs every archive on the target that the catalog lacks.
    func rebuildCatalog(_ request: RPCRequest) async throws(RPCError) -> JSONValue {
        let params = try Params(request, allowed: ["target"])
        let target = try params.requiredString("target")
        let report: RebuildReport
        do { report = try await context.engine.rebuildCatalog(from: target) } catch { throw RPCError(error) }
        return .object([
            "target": .string(report.target), "added": .array(report.added.map(JSONValue.string)),
            "updated": .array(report.updated.map(JSONValue.string)), "known": .int(Int64(report.known)),
            "problems": .array(
                report.problems.sorted { $0.key < $1.key }.map { .object(["key": .string($0.key), "error": .string($0.value)]) }),
        ])
    }

    /// `backup.verify {id, progress?}`: checks the archive end to end; `valid` says how it went.
    func verifyBackup(_ request: RPCRequest, progress send: @escaping ProgressSink) async throws(RPCError) -> JSONValue {
        let params = try Params(request, allowed: ["id", "progress"])
        let id = try params.requiredString("id")
        let counters = RunProgress()
        let engine = context.engine
        let result = try await ProgressReporter.run(
            enabled: try params.bool("progress", default: false), clock: context.clock,
            read: { ProgressReporter.json(counters.snapshot, id: id, phase: "verify") },
            send: send
        ) { () throws(RPCError) in
            do throws(EngineError) { return try await engine.verify(id, progress: counters) } catch { throw RPCError(error) }
        }
        guard case .object(var members) = try encode(result) else { throw RPCError(.internalError, "verification result is not an object") }
        members["id"] = .string(id)
        return .object(members)
    }

    /// `backup.delete {id}`: removes the archive, its sidecar and the record; returns the record.
    func deleteBackup(_ request: RPCRequest) async throws(RPCError) -> JSONValue {
        let params = try Params(request, allowed: ["id"])
        let id = try params.requiredString("id")
        let record: BackupRecord
        do { record = try await context.engine.delete(id) } catch { throw RPCError(error) }
        return .object(["deleted": try encode(record)])
    }

    /// `restore.run {id, to, include?, overwrite?, progress?}`: restores a backup into `to`.
    func restore(_ request: RPCRequest, progress send: @escaping ProgressSink) async throws(RPCError) -> JSONValue {
        let params = try Params(request, allowed: ["id", "to", "include", "overwrite", "progress"])
        let id = try params.requiredString("id")
        let destination = try params.requiredString("to")
        let includes = try params.strings("include")
        let overwrite = try params.bool("overwrite", default: false)
        let counters = RunProgress()
        let engine = context.engine
        let result = try await ProgressReporter.run(
            enabled: try params.bool("progress", default: false), clock: context.clock,
            read: { ProgressReporter.json(counters.snapshot, id: id, phase: "restore") },
            send: send
        ) { () throws(RPCError) in
            do throws(EngineError) {
                return try await engine.restore(id, to: destination, includes: includes, overwrite: overwrite, progress: counters)
            } catch {
                throw RPCError(error)
            }
        }
        guard case .object(var members) = try encode(result) else { throw RPCError(.internalError, "restore result is not an object") }
        members["id"] = .string(id)
        if !result.problems.isEmpty {
            throw RPCError(.storageError, "restore of \(id) finished with \(result.problems.count) problem(s)", data: .object(members))
        }
        return .object(members)
    }
}
