import PacaCatalog
import PacaCore
import PacaConfig
import PacaEngine
import PacaProtocol

extension MethodRouter {
    /// `trigger.fire {kind, set?, reason?, wait?, progress?}`: backups caused by an event.
    ///
    /// * `training_start`, `config_change`, `shutdown`: the sets that list the trigger in their
    ///   `triggers:` are backed up (or the one named by `set`, which must list it). This is how a
    ///   training program announces itself, and how a hook can ask for what a file change or a stop
    ///   would do, without waiting for either.
    /// * `emergency`: every set is backed up now, in parallel, whatever its `triggers:`; a backup
    ///   already waiting behind a running one becomes the emergency backup.
    ///
    /// With `wait` (the default) the reply comes when every backup has ended:
    /// `{kind, backups: [record, …]}` in set order; a backup that could not start is
    /// `{set, status: "failed", error}`. A trigger for a set already being backed up shares its
    /// follow-up backup.
    func fireTrigger(_ request: RPCRequest, progress send: @escaping ProgressSink) async throws(RPCError) -> JSONValue {
        let params = try Params(request, allowed: ["kind", "set", "reason", "wait", "progress"])
        let kind = try params.requiredString("kind")
        let reason = try params.string("reason")
        let wait = try params.bool("wait", default: true)
        let config = await context.configuration.config
        let sets: [String]
        if kind == "emergency" {
            guard try params.string("set") == nil else {
                throw RPCError(
                    .invalidParams, "trigger.fire: an emergency backs up every set; it takes no set",
                    data: .object(["param": .string("set")]))
            }
            sets = config.sets.map(\.name)
        } else if let trigger = DaemonConfig.Trigger(rawValue: kind) {
            sets = try Self.sets(listening: trigger, named: try params.string("set"), in: config)
        } else {
            let kinds = DaemonConfig.Trigger.allCases.map(\.rawValue) + ["emergency"]
            throw RPCError(
                .invalidParams, "trigger.fire: kind \"\(kind)\" is not one of \(kinds.joined(separator: ", "))",
                data: .object(["param": .string("kind")]))
        }

        let engine = context.engine
        var tickets: [BackupEngine.Ticket] = []
        for set in sets {
            do throws(EngineError) {
                tickets.append(try await engine.requestBackup(set: set, trigger: BackupTrigger(rawValue: kind) ?? .manual, reason: reason))
            } catch {
                throw RPCError(error)
            }
        }
        if kind == "emergency" {
            context.logger.warning(
                "emergency backup of every set", metadata: ["trigger.reason": "\(reason ?? "")", "emergency.sets": "\(sets.count)"])
        }
        guard wait else {
            let started = tickets.map { ticket in
                JSONValue.object(["set": .string(ticket.set), "status": .string(ticket.isQueued ? "queued" : "running")])
            }
            return .object(["kind": .string(kind), "backups": .array(started)])
        }
        let outcomes: [Result<BackupRecord, EngineError>]
        if tickets.count == 1, try params.bool("progress", default: false) {
            let ticket = tickets[0]
            let outcome = try await ProgressReporter.run(
            enabled: true, clock: context.clock, read: Self.progress(of: ticket, in: engine), send: send) {
                () -> Result<BackupRecord, EngineError> in
                await Result { () async throws(EngineError) in try await engine.outcome(of: ticket) }
            }
            outcomes = [outcome]
        } else {
            outcomes = await withTaskGroup(of: (Int, Result<BackupRecord, EngineError>).self) { group in
                for (index, ticket) in tickets.enumerated() {
                    group.addTask { (index, await Result { () async throws(EngineError) in try await engine.outcome(of: ticket) }) }
                }
                var results: [(Int, Result<BackupRecord, EngineError>)] = []
                for await result in group { results.append(result) }
                return results.sorted { $0.0 < $1.0 }.map(\.1)
            }
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
        let result = JSONValue.object(["kind": .string(kind), "backups": .array(backups)])
        guard failures == 0 else {
            throw RPCError(.storageError, "\(kind) backup: \(failures) of \(sets.count) set(s) failed", data: result)
        }
        return result
    }

    /// The sets a `trigger` backs up: the one named (which must list it), or every set that lists it.
    static func sets(listening trigger: DaemonConfig.Trigger, named name: String?, in config: DaemonConfig) throws(RPCError) -> [String] {
        if let name {
            guard let set = config.set(named: name) else {
                throw RPCError(
                    .notFound, "no backup set named \"\(name)\" (sets: \(config.sets.map(\.name).joined(separator: ", ")))",
                    data: .object(["set": .string(name)]))
            }
            guard set.listens(to: trigger) else {
                throw RPCError(
                    .validationError,
                    "set \"\(name)\" does not take the \(trigger.rawValue) trigger; add it to sets.\(name).triggers in the config",
                    data: .object(["set": .string(name), "trigger": .string(trigger.rawValue)]))
            }
            return [name]
        }
        let listening = config.sets.filter { $0.listens(to: trigger) }.map(\.name)
        guard !listening.isEmpty else {
            throw RPCError(
                .validationError, "no set takes the \(trigger.rawValue) trigger; list it in a set's triggers: in the config",
                data: .object(["trigger": .string(trigger.rawValue)]))
        }
        return listening
    }
}
