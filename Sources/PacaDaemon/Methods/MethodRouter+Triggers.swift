import PacaCatalog
import PacaConfig
import PacaCore
import PacaEngine
import PacaProtocol

extension MethodRouter {
    /// `trigger.fire`: backups caused by an event.
    ///
    /// * `training_start`, `training_end`, `config_change`, `shutdown`: the sets that list the trigger in their
    ///   `triggers:` are backed up (or the one named by `set`, which must list it). This is how a
    ///   training program announces itself, and how a hook can ask for what a file change or a stop
    ///   would do, without waiting for either.
    /// * `emergency`: every set is backed up now, in parallel, whatever its `triggers:`; a backup
    ///   already waiting behind a running one becomes the emergency backup.
    ///
    /// With `wait` (the default) the reply comes when every backup has ended, in set order; a
    /// backup that could not start is `{set, status: "failed", error}`. A trigger for a set already
    /// being backed up shares its follow-up backup.
    func fireTrigger(_ params: TriggerFireParams, _ send: @escaping ProgressSink) async throws(RPCError) -> TriggerResult {
        let kind = params.kind
        let config = await context.configuration.config
        let sets: [String]
        let trigger: BackupTrigger
        switch kind {
        case .emergency:
            guard params.set == nil else {
                throw RPCError(.invalidParams, "trigger.fire: an emergency backs up every set; it takes no set", data: ["param": "set"])
            }
            sets = config.sets.map(\.name)
            trigger = .emergency
        case .trainingStart:
            sets = try Self.sets(listening: .trainingStart, named: params.set, in: config)
            trigger = .trainingStart
        case .trainingEnd:
            sets = try Self.sets(listening: .trainingEnd, named: params.set, in: config)
            trigger = .trainingEnd
        case .configChange:
            sets = try Self.sets(listening: .configChange, named: params.set, in: config)
            trigger = .configChange
        case .shutdown:
            sets = try Self.sets(listening: .shutdown, named: params.set, in: config)
            trigger = .shutdown
        }
        for set in sets { try requireSet(set) }
        let engine = context.engine
        var tickets: [BackupEngine.Ticket] = []
        for set in sets {
            do throws(EngineError) {
                tickets.append(try await engine.requestBackup(set: set, trigger: trigger, reason: params.reason))
            } catch {
                throw RPCError(error)
            }
        }
        if kind == .emergency {
            context.logger.warning(
                "emergency backup of every set", metadata: ["trigger.reason": "\(params.reason ?? "")", "emergency.sets": "\(sets.count)"])
        }
        guard params.wait else {
            return TriggerResult(kind: kind, backups: tickets.map { .admitted(set: $0.set, status: $0.isQueued ? .queued : .running) })
        }
        let outcomes: [Result<BackupRecord, EngineError>]
        if tickets.count == 1, params.progress {
            let ticket = tickets[0]
            let outcome = try await ProgressReporter.run(
                enabled: true, clock: context.clock, read: Self.progress(of: ticket, in: engine), send: send
            ) { () -> Result<BackupRecord, EngineError> in
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
        var backups: [TriggeredBackup] = []
        var failures = 0
        for (index, outcome) in outcomes.enumerated() {
            switch outcome {
            case .success(let record):
                backups.append(.finished(Backup(record)))
                if !record.isRestorePoint { failures += 1 }
            case .failure(let error):
                backups.append(.failed(set: sets[index], error: error.message))
                failures += 1
            }
        }
        let result = TriggerResult(kind: kind, backups: backups)
        guard failures == 0 else {
            throw RPCError(.storageError, "\(kind.rawValue) backup: \(failures) of \(sets.count) set(s) failed", data: result.wire)
        }
        return result
    }

    /// The sets a `trigger` backs up: the one named (which must list it), or every set that lists it.
    static func sets(listening trigger: DaemonConfig.Trigger, named name: String?, in config: DaemonConfig) throws(RPCError) -> [String] {
        if let name {
            guard let set = config.set(named: name) else {
                throw RPCError(
                    .notFound, "no backup set named \"\(name)\" (sets: \(config.sets.map(\.name).joined(separator: ", ")))",
                    data: ["set": .string(name)])
            }
            guard set.listens(to: trigger) else {
                throw RPCError(
                    .validationError,
                    "set \"\(name)\" does not take the \(trigger.rawValue) trigger; add it to sets.\(name).triggers in the config",
                    data: ["set": .string(name), "trigger": .string(trigger.rawValue)])
            }
            return [name]
        }
        let listening = config.sets.filter { $0.listens(to: trigger) }.map(\.name)
        guard !listening.isEmpty else {
            throw RPCError(
                .validationError, "no set takes the \(trigger.rawValue) trigger; list it in a set's triggers: in the config",
                data: ["trigger": .string(trigger.rawValue)])
        }
        return listening
    }
}
