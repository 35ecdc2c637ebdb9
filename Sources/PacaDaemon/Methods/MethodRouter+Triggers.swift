import PacaEngine
import PacaProtocol

extension MethodRouter {
    /// `trigger.fire {kind, set?, reason?, wait?, progress?}`: a backup caused by an event.
    ///
    /// * `training_start`: a training program announces itself; its set is backed up (recorded with
    ///   trigger `training_start`), and with `wait` (the default) the reply comes when the backup is
    ///   done, so the program can proceed knowing its inputs are safe.
    /// * `emergency`: every set is backed up now, in parallel; the reply lists each set's backup.
    ///
    /// A trigger for a set that is already being backed up joins the follow-up backup of that set.
    func fireTrigger(_ request: RPCRequest, progress send: @escaping ProgressSink) async throws(RPCError) -> JSONValue {
        let params = try Params(request, allowed: ["kind", "set", "reason", "wait", "progress"])
        let kind = try params.requiredString("kind")
        let reason = try params.string("reason")
        let wait = try params.bool("wait", default: true)
        let engine = context.engine
        switch kind {
        case "training_start":
            let set = try params.string("set")
            let ticket: BackupEngine.Ticket
            do throws(EngineError) {
                ticket = try await engine.requestBackup(set: set, trigger: "training_start", reason: reason)
            } catch {
                throw RPCError(error)
            }
            guard wait else { return .object(["set": .string(ticket.set), "status": .string(ticket.isQueued ? "queued" : "running")]) }
            return try await awaitBackup(ticket, progress: try params.bool("progress", default: false), send: send)
        case "emergency":
            guard try params.string("set") == nil else {
                throw RPCError(
                    .invalidParams, "trigger.fire: an emergency backs up every set; it takes no set",
                    data: .object(["param": .string("set")]))
            }
            let sets = await context.configuration.config.sets.map(\.name)
            var tickets: [BackupEngine.Ticket] = []
            for set in sets {
                do throws(EngineError) {
                    tickets.append(try await engine.requestBackup(set: set, trigger: "emergency", reason: reason))
                } catch {
                    throw RPCError(error)
                }
            }
            context.logger.warning(
                "emergency backup of every set", metadata: ["trigger.reason": "\(reason ?? "")", "emergency.sets": "\(sets.count)"])
            guard wait else { return .object(["sets": .array(sets.map(JSONValue.string)), "status": .string("running")]) }
            let outcomes = await withTaskGroup(of: (Int, Result<BackupRecord, EngineError>).self) { group in
                for (index, ticket) in tickets.enumerated() {
                    group.addTask { (index, await Result { () async throws(EngineError) in try await engine.outcome(of: ticket) }) }
                }
                var results: [(Int, Result<BackupRecord, EngineError>)] = []
                for await result in group { results.append(result) }
                return results.sorted { $0.0 < $1.0 }.map(\.1)
            }
            var backups: [JSONValue] = []
            var failures = 0
            for (index, outcome) in outcomes.enumerated() {
                switch outcome {
                case .success(let record):
                    backups.append(try encode(record))
                    if record.status != .complete { failures += 1 }
                case .failure(let error):
                    backups.append(.object(["set": .string(sets[index]), "status": .string("failed"), "error": .string(error.message)]))
                    failures += 1
                }
            }
            let result = JSONValue.object(["backups": .array(backups)])
            guard failures == 0 else {
                throw RPCError(.storageError, "emergency backup: \(failures) of \(sets.count) set(s) failed", data: result)
            }
            return result
        default:
            throw RPCError(
                .invalidParams, "trigger.fire: kind \"\(kind)\" is not one of training_start, emergency",
                data: .object(["param": .string("kind")]))
        }
    }
}
