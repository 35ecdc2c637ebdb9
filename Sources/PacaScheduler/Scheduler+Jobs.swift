public import PacaConfig
import PacaCore
public import PacaEngine

extension Scheduler {
    /// Every job, by name.
    public func list() -> [JobView] {
        entries.keys.sorted().compactMap { name in
            guard let entry = entries[name] else { return nil }
            let job = entry.job
            return JobView(
                name: name, set: job.set, schedule: job.schedule.description,
                jitter: job.jitter > 0 ? DurationText.format(job.jitter) : nil,
                catchUp: job.catchUp, paused: job.isPaused, running: job.isRunning,
                nextDue: job.isPaused ? nil : job.nextDue, lastRun: job.lastRun, lastBackup: entry.lastBackup, origin: entry.origin)
        }
    }

    /// Adds a job at run time (`job.add`); it persists across restarts until removed.
    public func add(_ job: DaemonConfig.Job) async throws(EngineError) -> JobView {
        guard entries[job.name] == nil else { throw EngineError(.validation, "a job named \"\(job.name)\" exists; remove it first") }
        var scheduled = ScheduledJob(job)
        _ = scheduled.poll(now: Int64(clock.now()), zone: zones(zoneName(of: scheduled)))
        entries[job.name] = ScheduleDocument.Entry(job: scheduled, origin: .runtime, lastBackup: nil)
        await save()
        wake()
        return try view(job.name)
    }

    /// Removes a job added at run time. Jobs from the config file are removed by editing it.
    public func remove(_ name: String) async throws(EngineError) -> JobView {
        let removed = try view(name)
        guard entries[name]?.origin == .runtime else {
            throw EngineError(.validation, "job \"\(name)\" comes from the config file; remove it there and reload")
        }
        entries[name] = nil
        await save()
        return removed
    }

    public func pause(_ name: String) async throws(EngineError) -> JobView {
        guard entries[name] != nil else { throw EngineError(.notFound, "no job named \"\(name)\"") }
        entries[name]?.job.pause()
        await save()
        return try view(name)
    }

    public func resume(_ name: String) async throws(EngineError) -> JobView {
        guard let entry = entries[name] else { throw EngineError(.notFound, "no job named \"\(name)\"") }
        entries[name]?.job.resume(now: Int64(clock.now()), zone: zones(zoneName(of: entry.job)))
        await save()
        wake()
        return try view(name)
    }

    /// The newest `limit` events, oldest first, optionally of one job.
    public func recentEvents(job: String? = nil, limit: Int = 100) -> [ScheduleEvent] {
        let matching = job.map { name in events.filter { $0.job == name } } ?? events
        return Array(matching.suffix(limit))
    }

    /// The next due time of each job that has one, for `daemon.status`.
    public func nextRuns() -> [String: Int64] {
        entries.compactMapValues { $0.job.isPaused ? nil : $0.job.nextDue }
    }

    func view(_ name: String) throws(EngineError) -> JobView {
        guard let view = list().first(where: { $0.name == name }) else { throw EngineError(.notFound, "no job named \"\(name)\"") }
        return view
    }
}

extension ScheduledJob {
    /// A job from the config file or `job.add`, not yet planned.
    init(_ job: DaemonConfig.Job) {
        self.init(name: job.name, set: job.set, schedule: job.schedule, jitter: job.jitter, catchUp: job.catchUp)
    }
}
