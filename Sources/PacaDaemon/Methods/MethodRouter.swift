public import PacaCore
import PacaEngine
public import PacaProtocol
import PacaSystem

/// Dispatches a request to its method and turns every outcome into a reply: a result, or an error
/// with a stable code (docs/protocol.md). Methods are the contract's (``Methods``): each is read
/// into its params type, handled, and its result written from its result type, so what the
/// daemon accepts and answers is what the published schema says. Never throws, so one bad
/// request cannot hurt the connection it came on.
public struct MethodRouter: Sendable {
    /// Sends a progress notification for the request being handled.
    public typealias ProgressSink = @Sendable (JSONValue) async -> Void

    let context: DaemonContext
    /// Who is calling and what they may do; set for each request by ``reply(to:caller:policy:progress:)``.
    private(set) var caller = Caller(uid: 0, gid: 0)
    private(set) var policy = AccessPolicy(ownUID: 0, groupID: nil)

    public init(context: DaemonContext) {
        self.context = context
    }

    /// Answers `request` from `caller`: refused (`permissionDenied`) when the caller has no role
    /// or a lower one than the method needs (``Methods``), else dispatched.
    public func reply(to request: RPCRequest, caller: Caller, policy: AccessPolicy, progress: @escaping ProgressSink) async -> RPCResponse {
        await respond(to: request, caller: caller, policy: policy, progress: progress).response
    }

    /// A reply, and the raw bytes to send in a frame after it (``WireAttaching``).
    public struct Answer: Sendable {
        public var response: RPCResponse
        public var attachment: [UInt8]?
    }

    /// ``reply(to:caller:policy:progress:)`` with the bytes some results attach.
    public func respond(to request: RPCRequest, caller: Caller, policy: AccessPolicy, progress: @escaping ProgressSink) async -> Answer {
        let id = request.id ?? .null
        var router = self
        router.caller = caller
        router.policy = policy
        let started = SystemTime.monotonic()
        let outcome: Answer
        do {
            try router.authorize(request.method)
            let (value, attachment) = try await router.dispatch(request, progress: progress)
            outcome = Answer(response: .result(id: id, value), attachment: attachment)
        } catch {
            outcome = Answer(response: .error(id: id, error), attachment: nil)
        }
        await router.audit(request, outcome.response, milliseconds: (SystemTime.monotonic() - started) * 1000)
        return outcome
    }

    /// Records the call in the audit log, and an important one (refused, an admin's method, a
    /// restore) in the journal too. Reads of a restore session are not recorded one by one: the
    /// session's close says how many there were.
    private func audit(_ request: RPCRequest, _ response: RPCResponse, milliseconds: Double) async {
        guard request.method != Methods.restoreRead.name else { return }
        var entry = AuditEntry(
            caller: caller, executable: caller.executable, method: request.method, params: request.params, outcome: .ok,
            milliseconds: milliseconds)
        if case .error(_, let error) = response {
            entry.outcome = error.code == RPCErrorCode.permissionDenied.rawValue ? .denied : .error
            entry.code = error.code
        }
        if request.method == Methods.restoreClose.name, case .result(_, let value) = response,
            case .object(let members) = value
        {
            for key in ["reads", "bytes_served"] { entry.details[key] = members[key] }
        }
        let role = Methods.named(request.method)?.role
        if entry.outcome == .denied || (role == .admin && entry.outcome == .ok) || request.method == Methods.restoreOpen.name {
            context.logger.notice(
                "audit: \(callerName) \(request.method) \(entry.outcome.rawValue)",
                metadata: ["audit.uid": "\(caller.uid)", "audit.method": "\(request.method)", "audit.outcome": "\(entry.outcome.rawValue)"])
        }
        await context.audit.record(entry)
    }

    /// Throws `permissionDenied` unless the caller's role covers `method` (unknown methods pass,
    /// to be answered `methodNotFound`).
    private func authorize(_ method: String) throws(RPCError) {
        guard let role = policy.role(of: caller) else {
            throw RPCError(.permissionDenied, "\(callerName) may not use this daemon")
        }
        guard let needed = Methods.all.first(where: { $0.name == method })?.role, needed > role else { return }
        throw RPCError(
            .permissionDenied, "\(method) needs the \(needed.rawValue) role; \(callerName) has \(role.rawValue)",
            data: ["needed": .string(needed.rawValue), "role": .string(role.rawValue)])
    }

    /// The caller in messages: `uid 1001 (alice)`.
    var callerName: String {
        "uid \(caller.uid)" + (ProcessFacts.userName(of: caller.uid).map { " (\($0))" } ?? "")
    }

    /// Throws `permissionDenied` unless the caller may use set `name` (`sets.NAME.access`).
    func requireSet(_ name: String) throws(RPCError) {
        guard !policy.mayUse(set: name, caller) else { return }
        throw RPCError(
            .permissionDenied, "set \"\(name)\" is limited to \(policy.users(of: name)) (and admins); \(callerName) is not among them")
    }

    /// Whether the caller may see set `name`.
    func mayUse(set name: String) -> Bool { policy.mayUse(set: name, caller) }

    private func dispatch(_ request: RPCRequest, progress send: @escaping ProgressSink) async throws(RPCError) -> (JSONValue, [UInt8]?) {
        let report: ProgressSink = send
        switch request.method {
        case Methods.daemonStatus.name: return try await answer(Methods.daemonStatus, request) { _ throws(RPCError) in await status() }
        case Methods.daemonReload.name: return try await answer(Methods.daemonReload, request) { _ throws(RPCError) in try await reload() }
        case Methods.backupCreate.name:
            return try await answer(Methods.backupCreate, request) { (params) throws(RPCError) in try await createBackup(params, report) }
        case Methods.backupList.name:
            return try await answer(Methods.backupList, request) { (params) throws(RPCError) in try await listBackups(params) }
        case Methods.backupShow.name:
            return try await answer(Methods.backupShow, request) { (params) throws(RPCError) in try await showBackup(params) }
        case Methods.backupVerify.name:
            return try await answer(Methods.backupVerify, request) { (params) throws(RPCError) in try await verifyBackup(params, report) }
        case Methods.backupDelete.name:
            return try await answer(Methods.backupDelete, request) { (params) throws(RPCError) in try await deleteBackup(params) }
        case Methods.backupPin.name:
            return try await answer(Methods.backupPin, request) { (params) throws(RPCError) in try await pinBackup(params) }
        case Methods.backupPrune.name:
            return try await answer(Methods.backupPrune, request) { (params) throws(RPCError) in try await pruneBackups(params) }
        case Methods.catalogRebuild.name:
            return try await answer(Methods.catalogRebuild, request) { (params) throws(RPCError) in try await rebuildCatalog(params, send) }
        case Methods.scrubRun.name:
            return try await answer(Methods.scrubRun, request) { (params) throws(RPCError) in try await runScrub(params, report) }
        case Methods.catalogDescribe.name:
            return try await answer(Methods.catalogDescribe, request) { (params) throws(RPCError) in try await describeSealed(params) }
        case Methods.targetInit.name:
            return try await answer(Methods.targetInit, request) { (params) throws(RPCError) in try await initTarget(params) }
        case Methods.restoreOpen.name:
            return try await answer(Methods.restoreOpen, request) { (params) throws(RPCError) in try await openRestore(params) }
        case Methods.restoreRead.name:
            return try await answer(Methods.restoreRead, request) { (params) throws(RPCError) in try await readRestore(params) }
        case Methods.restoreClose.name:
            return try await answer(Methods.restoreClose, request) { (params) throws(RPCError) in try await closeRestore(params) }
        case Methods.restoreRun.name:
            return try await answer(Methods.restoreRun, request) { (params) throws(RPCError) in try await restore(params, report) }
        case Methods.jobList.name: return try await answer(Methods.jobList, request) { _ throws(RPCError) in await listJobs() }
        case Methods.jobAdd.name: return try await answer(Methods.jobAdd, request) { (params) throws(RPCError) in try await addJob(params) }
        case Methods.jobRemove.name:
            return try await answer(Methods.jobRemove, request) { (params) throws(RPCError) in try await changeJob(params, .remove) }
        case Methods.jobPause.name:
            return try await answer(Methods.jobPause, request) { (params) throws(RPCError) in try await changeJob(params, .pause) }
        case Methods.jobResume.name:
            return try await answer(Methods.jobResume, request) { (params) throws(RPCError) in try await changeJob(params, .resume) }
        case Methods.jobRun.name:
            return try await answer(Methods.jobRun, request) { (params) throws(RPCError) in try await runJob(params, report) }
        case Methods.eventsList.name:
            return try await answer(Methods.eventsList, request) { (params) throws(RPCError) in await listEvents(params) }
        case Methods.triggerFire.name:
            return try await answer(Methods.triggerFire, request) { (params) throws(RPCError) in try await fireTrigger(params, report) }
        case Methods.checkpointCapture.name:
            return try await answer(Methods.checkpointCapture, request) { (params) throws(RPCError) in
                try await captureCheckpoint(params, report)
            }
        case Methods.dataPut.name:
            return try await answer(Methods.dataPut, request) { (params) throws(RPCError) in try await putRecord(params) }
        case Methods.dataGet.name:
            return try await answer(Methods.dataGet, request) { (params) throws(RPCError) in try await getRecord(params) }
        case Methods.dataUpdate.name:
            return try await answer(Methods.dataUpdate, request) { (params) throws(RPCError) in try await updateRecord(params) }
        case Methods.dataDelete.name:
            return try await answer(Methods.dataDelete, request) { (params) throws(RPCError) in try await deleteRecord(params) }
        case Methods.dataQuery.name:
            return try await answer(Methods.dataQuery, request) { (params) throws(RPCError) in try await queryRecords(params) }
        case Methods.auditList.name:
            return try await answer(Methods.auditList, request) { (params) throws(RPCError) in await listAudit(params) }
        case Methods.auditVerify.name: return try await answer(Methods.auditVerify, request) { _ throws(RPCError) in await verifyAudit() }
        case Methods.webLogin.name: return try await answer(Methods.webLogin, request) { _ throws(RPCError) in try await webLogin() }
        case Methods.discover.name: return try await answer(Methods.discover, request) { _ throws(RPCError) in OpenRPCDocument.document }
        default:
            throw RPCError(
                .methodNotFound, "no method \"\(request.method)\"", data: ["methods": .array(Methods.all.map { .string($0.name) })])
        }
    }

    /// Reads the request's params as `method` declares them, runs `body`, writes its result.
    private func answer<Params, Result>(
        _ method: RPCMethod<Params, Result>, _ request: RPCRequest, _ body: (Params) async throws(RPCError) -> Result
    ) async throws(RPCError) -> (JSONValue, [UInt8]?) {
        let params = try Params.decode(request.params, method: method.name)
        let result = try await body(params)
        return (result.wire, (result as? any WireAttaching)?.attachment)
    }
}

extension RPCError {
    /// The wire error for an engine error.
    init(_ error: EngineError, data: JSONValue? = nil) {
        let code: RPCErrorCode =
            switch error.code {
            case .notFound: .notFound
            case .busy, .cancelled: .busy
            case .storage: .storageError
            case .validation: .validationError
            }
        self.init(code, error.message, data: data)
    }
}
