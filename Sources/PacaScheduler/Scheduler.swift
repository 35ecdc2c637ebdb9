public import Logging
import PacaCatalog
public import PacaConfig
public import PacaCore
public import PacaEngine
public import PacaSystem

/// Runs jobs on their schedules: sleeps on its clock until the earliest job is due (at most a
/// minute, so a wall-clock jump or a suspend is noticed within one), asks each due job's
/// ``ScheduledJob`` what to do, starts backups through the engine, and records every decision as
/// a ``ScheduleEvent``. Job states and events persist in `<state_dir>/schedule.json`, so a restart
/// keeps each job's cadence and catches up what it missed. Waiting for a started backup to end is
/// a child task of ``run()``.
public actor Scheduler {
    /// A job as `job.list` shows it.
    public struct JobView: Sendable, Equatable {
        public var name: String
        public var set: String
        /// The cron expression, or `every 6h`.
        public var schedule: String
        /// The largest random delay, like `5m`; nil when none.
        public var jitter: String?
        public var catchUp: Bool
        public var paused: Bool
        public var running: Bool
        /// Unix seconds; nil when paused or never.
        public var nextDue: Int64?
        public var lastRun: Int64?
        public var lastBackup: String?
        public var origin: JobOrigin
    }

    static let eventLimit = 1000

    let file: StateDocument
    let engine: BackupEngine
    let clock: ServiceClock
    let logger: Logger
    /// The rules for a job's `CRON_TZ` zone, or for the daemon's zone when nil.
    let zones: @Sendable (String?) -> ZoneRules
    var entries: [String: ScheduleDocument.Entry]
    var events: [ScheduleEvent]
    var random = SystemRandomNumberGenerator()
    /// Cuts the loop's sleep short when a job is added, resumed or reconfigured.
    let alarm = Alarm()
    /// Backups started by jobs, whose end ``run()`` waits for in a child task.
    private let started: AsyncStream<(String, BackupEngine.Ticket)>
    private let follow: AsyncStream<(String, BackupEngine.Ticket)>.Continuation

    init(
        file: StateDocument, entries: [String: ScheduleDocument.Entry], events: [ScheduleEvent], engine: BackupEngine, clock: ServiceClock,
        zones: @escaping @Sendable (String?) -> ZoneRules, logger: Logger
    ) {
        self.file = file
        self.entries = entries
        self.events = events
        self.engine = engine
        self.clock = clock
        self.zones = zones
        self.logger = logger
        (started, follow) = AsyncStream.makeStream(of: (String, BackupEngine.Ticket).self)
    }

    /// Loads `schedule.json` from `stateDirectory` and merges the jobs of the config: a config job
    /// keeps its saved state when its schedule is unchanged, and starts afresh when it changed.
    public static func open(
        stateDirectory: String, jobs: [DaemonConfig.Job], engine: BackupEngine, clock: ServiceClock,
        zones: @escaping @Sendable (String?) -> ZoneRules, logger: Logger
    ) async throws(EngineError) -> Scheduler {
        let file = StateDocument(path: stateDirectory + "/schedule.json")
        var document = ScheduleDocument(version: ScheduleDocument.currentVersion, jobs: [:], events: [])
        if let bytes = try await file.read() {
            document = try file.decode(ScheduleDocument.self, from: bytes, remedy: "move it aside to start the schedule afresh")
        }
        for name in document.jobs.keys {
            // A run cannot outlive the process that started it.
            document.jobs[name]?.job.isRunning = false
        }
        let scheduler = Scheduler(
            file: file, entries: document.jobs, events: document.events, engine: engine, clock: clock, zones: zones, logger: logger)
        await scheduler.apply(jobs)
        return scheduler
    }

    /// Makes the config's jobs the configured ones (at start and on reload); runtime jobs stay.
    public func apply(_ jobs: [DaemonConfig.Job]) {
        for (name, entry) in entries where entry.origin == .config && !jobs.contains(where: { $0.name == name }) {
            entries[name] = nil
        }
        for job in jobs {
            var scheduled = ScheduledJob(job)
            if var existing = entries[job.name]?.job, existing.schedule == job.schedule {
                // Same schedule: keep where it stands, take the rest of the spec from the file.
                existing.set = job.set
                existing.jitter = job.jitter
                existing.catchUp = job.catchUp
                scheduled = existing
            }
            entries[job.name] = ScheduleDocument.Entry(job: scheduled, origin: .config, lastBackup: entries[job.name]?.lastBackup)
        }
        wake()
    }

    /// The loop: until cancelled, look at every job, then sleep until the next is due. Backups
    /// the jobs start are followed to their end by child tasks, so the job and the event history
    /// learn how each ended.
    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.followStartedBackups() }
            while !Task.isCancelled {
                await tick()
                await alarm.sleep(until: nextWake(), on: clock)
            }
            // Stopping: backups still running end without the scheduler (the engine stops them).
            follow.finish()
            group.cancelAll()
        }
    }

    /// Waits for each backup a job started, each in a child task, until the stream ends.
    private nonisolated func followStartedBackups() async {
        await withDiscardingTaskGroup { group in
            for await (name, ticket) in started {
                group.addTask {
                    let outcome = await Result { () async throws(EngineError) in try await self.engine.outcome(of: ticket) }
                    guard !Task.isCancelled else { return }
                    await self.ended(name, outcome)
                }
            }
        }
    }

    /// Looks at every job now and starts what is due. The loop calls it; tests call it with a set clock.
    public func tick() async {
        let now = Int64(clock.now())
        var changed = false
        for name in entries.keys.sorted() {
            guard var entry = entries[name] else { continue }
            let zone = zones(zoneName(of: entry.job))
            let delay = entry.job.jitter > 0 ? Int64.random(in: 0...entry.job.jitter, using: &random) : 0
            let before = entry.job
            let action = entry.job.poll(now: now, zone: zone, delay: delay)
            if entry.job != before { changed = true }
            entries[name] = entry
            switch action {
            case nil: continue
            case .skipBusy:
                record(ScheduleEvent(time: now, job: name, kind: .skippedBusy, detail: "the previous run was still going"))
            case .skipMissed(let missed):
                record(
                    ScheduleEvent(time: now, job: name, kind: .skippedMissed, detail: "\(missed) slot(s) passed while pacad was stopped"))
            case .run(let isCatchUp, let missed):
                await start(name, set: entry.job.set, isCatchUp: isCatchUp, missed: missed, at: now)
            }
        }
        if changed { await save() }
    }

    /// Starts job `name` now, outside its schedule (`job.run`); the run counts as its last.
    public func runNow(_ name: String) async throws(EngineError) -> BackupEngine.Ticket {
        guard let entry = entries[name] else { throw EngineError(.notFound, "no job named \"\(name)\"") }
        guard !entry.job.isRunning else { throw EngineError(.busy, "job \"\(name)\" is running; wait for it to end") }
        let now = Int64(clock.now())
        entries[name]?.job.isRunning = true
        entries[name]?.job.lastRun = now
        guard let ticket = await start(name, set: entry.job.set, isCatchUp: false, missed: 0, at: now, manual: true) else {
            throw EngineError(.busy, "job \"\(name)\" could not start a backup; see events.list")
        }
        await save()
        return ticket
    }

    @discardableResult
    private func start(_ name: String, set: String, isCatchUp: Bool, missed: Int, at now: Int64, manual: Bool = false) async
        -> BackupEngine.Ticket?
    {
        let reason = manual ? "run now" : isCatchUp ? "catch-up for \(missed) missed slot(s)" : "scheduled"
        let ticket: BackupEngine.Ticket
        do { ticket = try await engine.requestBackup(set: set, trigger: .job(name), reason: reason) } catch {
            entries[name]?.job.runEnded()
            record(ScheduleEvent(time: now, job: name, kind: .failed, detail: error.message))
            return nil
        }
        record(ScheduleEvent(time: now, job: name, kind: isCatchUp ? .caughtUp : .fired, detail: reason))
        logger.info("job started a backup", metadata: ["job.name": "\(name)", "backup.set": "\(set)", "job.reason": "\(reason)"])
        follow.yield((name, ticket))
        return ticket
    }

    private func ended(_ name: String, _ outcome: Result<BackupRecord, EngineError>) async {
        entries[name]?.job.runEnded()
        let now = Int64(clock.now())
        switch outcome {
        case .success(let backup):
            entries[name]?.lastBackup = backup.id
            let kind: ScheduleEvent.Kind =
                switch backup.status {
                case .complete: .completed
                case .partial: .partial
                default: .failed
                }
            let detail =
                backup.status == .partial ? "\(backup.unreadable.count) unreadable: \(backup.unreadable.first ?? "")" : backup.error
            record(ScheduleEvent(time: now, job: name, kind: kind, backup: backup.id, detail: detail))
        case .failure(let error):
            record(ScheduleEvent(time: now, job: name, kind: .failed, detail: error.message))
        }
        await save()
    }

    func record(_ event: ScheduleEvent) {
        events.append(event)
        if events.count > Self.eventLimit { events.removeFirst(events.count - Self.eventLimit) }
    }

    func zoneName(of job: ScheduledJob) -> String? {
        if case .cron(let expression) = job.schedule { return expression.timeZone }
        return nil
    }

    /// When to wake, as the clock's uptime: when the earliest job is due, at most a minute from now.
    private func nextWake() -> Duration {
        let now = clock.reading()
        let earliest = entries.values.compactMap { $0.job.isPaused ? nil : $0.job.nextDue }.min()
        guard let earliest else { return now.uptime + .seconds(60) }
        return now.uptime + .seconds(rounding: min(60, max(0, Double(earliest) - now.wall)))
    }

    /// Cuts the current sleep short (a job was added, resumed or reconfigured).
    func wake() {
        alarm.wake()
    }

    func save() async {
        do throws(EngineError) {
            try await file.save(ScheduleDocument(version: ScheduleDocument.currentVersion, jobs: entries, events: events))
        } catch {
            logger.error("cannot save the schedule", metadata: ["file.path": "\(file.path)", "error": "\(error)"])
        }
    }
}
