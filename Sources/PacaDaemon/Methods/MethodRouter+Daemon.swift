import PacaCatalog
import PacaCore
import PacaEngine
import PacaProtocol
import PacaSystem
import PacaTargets

extension MethodRouter {
    /// `daemon.status`: reads only in-memory state, so it answers in well under a millisecond
    /// even mid-backup.
    func status() async -> DaemonStatus {
        let snapshot = await context.engine.snapshot()
        let (latest, count) = await context.catalog.summary()
        let summaries = await context.catalog.setSummaries()
        let nextRuns = await context.scheduler.nextRuns()
        let watching = await context.changes.snapshot()
        let targetStates = await context.engine.targetStatus()
        let config = await context.configuration.config
        let now = context.clock.now()
        var status = DaemonStatus()
        status.version = PacaVersion.current
        status.pid = Int64(ProcessFacts.pid)
        status.state = snapshot.isStopping ? .stopping : snapshot.activities.isEmpty ? .idle : .busy
        status.statusLine = StatusLine.text(snapshot: snapshot, latest: latest.values.max { $0.id < $1.id }, now: now)
        status.startedAt = Timestamp(unixSeconds: Int64(context.startedAt))
        status.uptimeSeconds = Int64(now - context.startedAt)
        status.config = context.configuration.file ?? "embedded default"
        status.socket = context.socketPath
        status.stateDirectory = config.stateDirectory
        status.activities = snapshot.activities.map { activity in
            var item = Activity()
            item.kind = ActivityKind(rawValue: activity.kind.rawValue) ?? .backup
            item.set = activity.set
            item.startedAt = Timestamp(unixSeconds: activity.startedAt)
            item.progress = Progress(
                activity.progress, backup: activity.backupID, phase: ProgressPhase(rawValue: activity.kind.rawValue) ?? .backup)
            return item
        }
        status.queued = snapshot.queuedSets
        status.sets = config.sets.filter { mayUse(set: $0.name) }.map { set in
            var item = SetStatus()
            item.name = set.name
            item.paths = set.paths
            item.targets = set.targets
            item.lastBackup = latest[set.name].map { record in
                var last = LastBackup()
                last.id = record.id
                last.status = BackupStatus(rawValue: record.status.rawValue) ?? .failed
                last.type = BackupType(rawValue: record.type.rawValue) ?? .full
                last.finishedAt = record.finishedAt.map(Timestamp.init)
                return last
            }
            item.queued = snapshot.queuedSets.contains(set.name)
            item.triggers = set.triggers.map(\.rawValue)
            item.watch = watching.first { $0.set == set.name }.map { view in
                var watch = WatchStatus()
                watch.paths = view.watch
                watch.debounceSeconds = view.debounce
                watch.dueInSeconds = view.dueIn.map { ($0 * 10).rounded() / 10 }
                watch.lastChange = view.lastChange
                return watch
            }
            if let objective = set.rpo {
                let summary = summaries[set.name] ?? SetSummary()
                var rpo = RecoveryPointStatus()
                rpo.targetSeconds = objective
                rpo.ageSeconds = summary.recoveryPointAge(now: now).map { Int64($0) }
                rpo.past = summary.isPastObjective(objective, now: now)
                rpo.lastCompleteAt = summary.lastSuccess?.finishedAt.map(Timestamp.init)
                item.rpo = rpo
            }
            return item
        }
        status.targets = targetStates.map(Self.targetStatus)
        status.catalog.backups = count
        // A damaged backup's copies are all failed deliveries: the catalog's short list of those holds it.
        status.damaged = await context.catalog.failedDeliveries().filter { $0.status == .damaged && mayUse(set: $0.set) }.map { record in
            var item = DamagedBackup()
            item.id = record.id
            item.set = record.set
            item.lost = record.lost
            item.error = record.error ?? ""
            return item
        }
        status.jobs = config.jobs.map(\.name).sorted().map { JobDue(name: $0, nextDue: nextRuns[$0].map(Timestamp.init)) }
        return status
    }

    /// A target in `status`: where it is, whether its last check passed, free space, last delivery.
    static func targetStatus(_ target: TargetState) -> TargetStatus {
        var status = TargetStatus()
        status.name = target.name
        status.type = target.type
        status.location = target.location
        status.healthy = target.checkedAt == nil && target.problem == nil ? nil : target.problem == nil
        status.problem = target.problem
        status.freeBytes = target.freeBytes.map { Int64(clamping: $0) }
        status.checkedAt = target.checkedAt.map(Timestamp.init)
        status.lastDeliveryAt = target.lastDeliveryAt.map(Timestamp.init)
        status.failedDeliveries = target.failedDeliveries
        status.scrubEverySeconds = target.scrubEvery
        status.oldestUnverifiedSeconds = target.oldestUnverifiedSeconds
        status.lastScrubAt = target.lastScrubAt.map(Timestamp.init)
        return status
    }

    /// `daemon.reload`: re-reads the config file; a bad file changes nothing.
    func reload() async throws(RPCError) -> ReloadResult {
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
                    data: ["problems": .array(problem.problems.map { .string($0.description) })])
            }
        }
        var result = ReloadResult()
        result.file = outcome.file
        result.restartRequired = outcome.restartRequired
        result.sets = outcome.sets
        result.targets = outcome.targets
        result.jobs = outcome.jobs
        return result
    }
}
