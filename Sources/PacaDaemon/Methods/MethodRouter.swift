public import PacaCore
import PacaEngine
public import PacaProtocol

/// Dispatches a request to its method and turns every outcome into a reply: a result, or an error
/// with a stable code (docs/protocol.md). Never throws, so one bad request cannot hurt the
/// connection it came on.
public struct MethodRouter: Sendable {
    /// Sends a progress notification for the request being handled.
    public typealias ProgressSink = @Sendable (JSONValue) async -> Void

    let context: DaemonContext

    public init(context: DaemonContext) {
        self.context = context
    }

    /// Every method this daemon answers, in the order docs/protocol.md lists them.
    public static let methods = [
        "daemon.status", "daemon.reload", "backup.create", "backup.list", "backup.show", "backup.verify", "backup.delete", "backup.pin",
        "backup.prune", "catalog.rebuild", "restore.run",
        "job.list", "job.add", "job.remove", "job.pause", "job.resume", "job.run", "events.list", "trigger.fire", "data.put", "data.get",
        "data.update", "data.delete", "data.query",
    ]

    public func reply(to request: RPCRequest, progress: @escaping ProgressSink) async -> RPCResponse {
        let id = request.id ?? .null
        do {
            return .result(id: id, try await dispatch(request, progress: progress))
        } catch {
            return .error(id: id, error)
        }
    }

    private func dispatch(_ request: RPCRequest, progress: @escaping ProgressSink) async throws(RPCError) -> JSONValue {
        switch request.method {
        case "daemon.status": return try await status(request)
        case "daemon.reload": return try await reload(request)
        case "backup.create": return try await createBackup(request, progress: progress)
        case "backup.list": return try await listBackups(request)
        case "backup.show": return try await showBackup(request)
        case "backup.verify": return try await verifyBackup(request, progress: progress)
        case "backup.delete": return try await deleteBackup(request)
        case "backup.pin": return try await pinBackup(request)
        case "backup.prune": return try await pruneBackups(request)
        case "catalog.rebuild": return try await rebuildCatalog(request)
        case "restore.run": return try await restore(request, progress: progress)
        case "job.list": return try await listJobs(request)
        case "job.add": return try await addJob(request)
        case "job.remove", "job.pause", "job.resume": return try await changeJob(request)
        case "job.run": return try await runJob(request, progress: progress)
        case "events.list": return try await listEvents(request)
        case "trigger.fire": return try await fireTrigger(request, progress: progress)
        case "data.put": return try await putRecord(request)
        case "data.get": return try await getRecord(request)
        case "data.update": return try await updateRecord(request)
        case "data.delete": return try await deleteRecord(request)
        case "data.query": return try await queryRecords(request)
        default:
            throw RPCError(
                .methodNotFound, "no method \"\(request.method)\"", data: .object(["methods": .array(Self.methods.map(JSONValue.string))]))
        }
    }

    /// The JSON form of a result value; a failure here is a bug, reported as an internal error.
    func encode(_ value: some Encodable) throws(RPCError) -> JSONValue {
        do { return try JSONValue(encoding: value) } catch { throw RPCError(.internalError, "cannot encode the result: \(error)") }
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
