import PacaCatalog
import PacaCore
import PacaEngine
import PacaProtocol
import PacaSystem

extension MethodRouter {
    /// `daemon.status {}`: what the daemon is doing, each set's last backup, and where things are.
    /// Reads only in-memory state, so it answers in well under a millisecond even mid-backup.
    func status(_ request: RPCRequest) async throws(RPCError) -> JSONValue {
        _ = try Params(request, allowed: [])
        let snapshot = await context.engine.snapshot()
        let (latest, count) = await context.catalog.summary()
        let nextRuns = await context.scheduler.nextRuns()
        let watching = await context.changes.snapshot()
        let targetStates = await context.engine.targetStatus()
        let config = await context.configuration.config
        let now = context.clock.now()
        let newest = latest.values.max { $0.id < $1.id }
        let activities: [JSONValue] = snapshot.activities.map { activity in
            var members: [String: JSONValue] = [
                "kind": .string(activity.kind.rawValue), "set": .string(activity.set),
                "started_at": .string(CivilTime(unixSeconds: activity.startedAt).rfc3339),
            ]
            if case .object(let progress) = ProgressReporter.json(activity.progress, id: activity.backupID, phase: activity.kind.rawValue) {
                members.merge(progress) { _, new in new }
            }
            return .object(members)
        }
        let sets: [JSONValue] = config.sets.map { set in
            var last: JSONValue = .null
            if let record = latest[set.name] {
                last = .object([
                    "id": .string(record.id), "status": .string(record.status.rawValue),
                    "finished_at": record.finishedAt.map { .string(CivilTime(unixSeconds: $0).rfc3339) } ?? .null,
                ])
            }
            var watch: JSONValue = .null
            if let view = watching.first(where: { $0.set == set.name }) {
                watch = .object([
                    "paths": .array(view.watch.map(JSONValue.string)), "debounce_seconds": .int(view.debounce),
                    "due_in_seconds": view.dueIn.map { .double(($0 * 10).rounded() / 10) } ?? .null,
                    "last_change": view.lastChange.map(JSONValue.string) ?? .null,
                ])
            }
            return .object([
                "name": .string(set.name), "paths": .array(set.paths.map(JSONValue.string)),
                "targets": .array(set.targets.map(JSONValue.string)), "last_backup": last,
                "queued": .bool(snapshot.queuedSets.contains(set.name)),
                "triggers": .array(set.triggers.map { .string($0.rawValue) }), "watch": watch,
            ])
        }
        let state = snapshot.isStopping ? "stopping" : snapshot.activities.isEmpty ? "idle" : "busy"
        return .object([
            "version": .string(PacaVersion.current),
            "pid": .int(Int64(ProcessFacts.pid)),
            "state": .string(state),
            "status_line": .string(StatusLine.text(snapshot: snapshot, latest: newest, now: now)),
            "started_at": .string(CivilTime(unixSeconds: Int64(context.startedAt)).rfc3339),
            "uptime_seconds": .int(Int64(now - context.startedAt)),
            "config": context.configuration.file.map(JSONValue.string) ?? .string("embedded default"),
            "socket": .string(context.socketPath),
            "state_dir": .string(config.stateDirectory),
            "activities": .array(activities),
            "queued": .array(snapshot.queuedSets.map(JSONValue.string)),
            "sets": .array(sets),
            "targets": .array(targetStates.map(Self.json)),
            "catalog": .object(["backups": .int(Int64(count))]),
            "jobs": .array(
                config.jobs.map(\.name).sorted().map { name in
                    .object([
                        "name": .string(name),
                        "next_due": nextRuns[name].map { .string(CivilTime(unixSeconds: $0).rfc3339) } ?? .null,
                    ])
                }),
        ])
    }

    /// A target in `status`: where it is, whether its last check passed, free space, last delivery.
    static func json(_ target: TargetState) -> JSONValue {
        func time(_ seconds: Int64?) -> JSONValue { seconds.map { .string(CivilTime(unixSeconds: $0).rfc3339) } ?? .null }
        return .object([
            "name": .string(target.name), "type": .string(target.type), "location": .string(target.location),
            "healthy": target.checkedAt == nil && target.problem == nil ? .null : .bool(target.problem == nil),
            "problem": target.problem.map(JSONValue.string) ?? .null,
            "free_bytes": target.freeBytes.map { .int(Int64(clamping: $0)) } ?? .null,
            "checked_at": time(target.checkedAt), "last_delivery_at": time(target.lastDeliveryAt),
            "failed_deliveries": .int(Int64(target.failedDeliveries)),
        ])
    }

    /// `daemon.reload {}`: re-reads the config file; a bad file changes nothing.
    func reload(_ request: RPCRequest) async throws(RPCError) -> JSONValue {
        _ = try Params(request, allowed: [])
        let outcome: ConfigurationStore.Outcome
        do throws(ConfigurationStore.ReloadError) {
            outcome = try await context.configuration.reload()
        } catch {
            switch error {
            case .noFile:
                throw RPCError(.validationError, "pacad runs on the embedded default (no --config): there is no file to reload")
            case .invalid(let problem):
                throw RPCError(
                    .validationError, "the configuration was not reloaded: \(problem)",
                    data: .object(["problems": .array(problem.problems.map { .string($0.description) })]))
            }
        }
        return try encode(outcome)
    }
}
