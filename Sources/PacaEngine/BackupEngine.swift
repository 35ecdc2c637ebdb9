public import Logging
import PacaArchive
public import PacaConfig
public import PacaCore

/// Runs backups, restores and verifications. One backup per set at a time; a request for a set
/// that is already running waits for a single follow-up run that every such request shares (see
/// ``SetQueue``). The archive work runs on threads of its own, so the actor only keeps the books
/// and always answers quickly.
public actor BackupEngine {
    /// A backup request as it was admitted.
    public struct Ticket: Sendable, Equatable {
        public var number: Int
        public var set: String
        /// True when it waits behind a running backup of the same set (possibly shared with others).
        public var isQueued: Bool
    }

    struct Job {
        var set: String
        var trigger: String
        var reason: String?
        var requests = 1
        let progress = RunProgress()
        var recordID: String?
        var startedAt: Int64?
        var waiters: [CheckedContinuation<Result<BackupRecord, EngineError>, Never>] = []
    }

    struct Reader {
        var kind: Activity.Kind
        var backupID: String
        var set: String
        var startedAt: Int64
        var progress: RunProgress
    }

    public let catalog: Catalog
    let clock: WallClock
    let logger: Logger
    var config: DaemonConfig
    var queue = SetQueue()
    var jobs: [Int: Job] = [:]
    var tasks: [Int: Task<Void, Never>] = [:]
    /// Outcomes of recent backups, for requests that ask after the backup already ended.
    var outcomes: [Int: Result<BackupRecord, EngineError>] = [:]
    var readers: [Int: Reader] = [:]
    var nextReader = 1
    var isStopping = false
    var random = SystemRandomNumberGenerator()
    let factory: TargetFactory
    let timing: Timing
    /// Each configured target, or why it cannot be used; built from ``config`` by ``buildTargets()``.
    var targets: [String: Result<any ArchiveTarget, EngineError>] = [:]
    /// The configuration ``targets`` was built from.
    var builtTargets: [DaemonConfig.Target]?
    /// What the last check of each target found, and its last delivery.
    var targetStates: [String: TargetState] = [:]
    /// Backups whose archive is being copied to a target that missed it.
    var copying: Set<String> = []
    /// The zone retention reads hours, days, weeks, months and years in (the machine's).
    let zone: ZoneRules

    /// How often the engine looks after its targets.
    public struct Timing: Sendable {
        /// Wait before the first retry of a failed delivery, seconds; doubles with each attempt.
        public var retryDelay: Double
        /// Longest wait between retries, seconds.
        public var maximumRetryDelay: Double
        /// How often targets are checked and due retries run (``maintain()``).
        public var checkInterval: Duration

        public init(retryDelay: Double = 60, maximumRetryDelay: Double = 3600, checkInterval: Duration = .seconds(60)) {
            self.retryDelay = retryDelay
            self.maximumRetryDelay = maximumRetryDelay
            self.checkInterval = checkInterval
        }
    }

    public init(
        config: DaemonConfig, catalog: Catalog, clock: WallClock = .system, logger: Logger, factory: TargetFactory = .system(),
        timing: Timing = Timing(), zone: ZoneRules = .utc
    ) {
        self.zone = zone
        self.config = config
        self.catalog = catalog
        self.clock = clock
        self.logger = logger
        self.factory = factory
        self.timing = timing
    }

    /// Uses `config` for backups that start from now on; running ones finish with what they began with.
    public func apply(_ config: DaemonConfig) async {
        self.config = config
        // Every target is built anew, so a reload also picks up rotated credentials.
        builtTargets = nil
        await buildTargets()
    }

    /// Asks for a backup of `set` (or of the only set, when nil). Returns at once; wait for the
    /// outcome with ``outcome(of:)``. An `emergency` request that joins a waiting backup takes it
    /// over: the backup is recorded with the emergency's trigger and reason.
    public func requestBackup(set: String?, trigger: String, reason: String?) throws(EngineError) -> Ticket {
        guard !isStopping else { throw EngineError(.cancelled, "the daemon is stopping; no new backups start") }
        let name = try resolveSet(set)
        let admission = queue.admit(set: name)
        switch admission {
        case .start(let number), .queued(let number):
            jobs[number] = Job(set: name, trigger: trigger, reason: reason)
            if case .start = admission { start(number) }
        case .joined(let number):
            jobs[number]?.requests += 1
            if trigger == "emergency" {
                // The waiting backup starts the moment the running one ends; it now answers the emergency.
                jobs[number]?.trigger = trigger
                jobs[number]?.reason = reason
            }
        }
        logger.debug(
            "backup requested", metadata: ["backup.set": "\(name)", "backup.trigger": "\(trigger)", "backup.admission": "\(admission)"])
        if case .start = admission { return Ticket(number: admission.ticket, set: name, isQueued: false) }
        return Ticket(number: admission.ticket, set: name, isQueued: true)
    }

    /// Waits for the backup of `ticket` to end and returns its catalog record, whatever its status.
    /// Throws only when the backup never started (the daemon stopped first, its set was removed).
    public func outcome(of ticket: Ticket) async throws(EngineError) -> BackupRecord {
        if let outcome = outcomes[ticket.number] { return try outcome.get() }
        guard jobs[ticket.number] != nil else {
            throw EngineError(.notFound, "backup request \(ticket.number) is no longer known")
        }
        let result = await withCheckedContinuation { continuation in
            jobs[ticket.number]?.waiters.append(continuation)
        }
        return try result.get()
    }

    /// The id and live counters of the backup of `ticket`, once it has started.
    public func progress(of ticket: Ticket) -> (id: String?, progress: RunProgress.Snapshot)? {
        guard let job = jobs[ticket.number] else { return nil }
        return (job.recordID, job.progress.snapshot)
    }

    /// Everything in progress.
    public func snapshot() -> EngineSnapshot {
        var activities: [Activity] = []
        for set in queue.runningSets {
            guard let number = queue.runningTicket(for: set), let job = jobs[number] else { continue }
            activities.append(
                Activity(
                    kind: .backup, backupID: job.recordID, set: set, startedAt: job.startedAt ?? Int64(clock.now()),
                    progress: job.progress.snapshot))
        }
        for (_, reader) in readers.sorted(by: { $0.key < $1.key }) {
            activities.append(
                Activity(
                    kind: reader.kind, backupID: reader.backupID, set: reader.set, startedAt: reader.startedAt,
                    progress: reader.progress.snapshot))
        }
        return EngineSnapshot(activities: activities, queuedSets: queue.waitingSets, isStopping: isStopping)
    }

    /// Stops taking work, lets running operations finish for up to `grace`, then cancels them
    /// (a cancelled backup removes its partial archive and is cataloged as cancelled).
    public func stop(grace: Duration) async {
        isStopping = true
        for number in queue.dropWaiting() {
            complete(number, .failure(EngineError(.cancelled, "the daemon stopped before this backup started")))
        }
        let running = Array(tasks.values)
        guard !running.isEmpty else { return }
        logger.info(
            "waiting for running work before stopping", metadata: ["engine.running": "\(running.count)", "engine.grace": "\(grace)"])
        let progressions = jobs.values.map(\.progress) + readers.values.map(\.progress)
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for task in running { await task.value }
                return true
            }
            group.addTask {
                try? await Task.sleep(for: grace)
                return false
            }
            let finished = await group.next() ?? true
            if !finished {
                self.logger.warning("grace period over; cancelling running work")
                for progress in progressions { progress.cancel() }
            }
            group.cancelAll()
        }
    }

    func resolveSet(_ name: String?) throws(EngineError) -> String {
        if let name {
            guard config.set(named: name) != nil else {
                throw EngineError(.notFound, "no backup set named \"\(name)\" (sets: \(config.sets.map(\.name).joined(separator: ", ")))")
            }
            return name
        }
        guard config.sets.count == 1 else {
            throw EngineError(
                .validation, "several sets are configured; name one (sets: \(config.sets.map(\.name).joined(separator: ", ")))")
        }
        return config.sets[0].name
    }

    private func start(_ number: Int) {
        tasks[number] = Task { await self.run(number) }
    }

    private func run(_ number: Int) async {
        guard let job = jobs[number] else { return }
        let result: Result<BackupRecord, EngineError>
        if let set = config.set(named: job.set) {
            result = await write(number, set: set)
        } else {
            result = .failure(
                EngineError(.notFound, "backup set \"\(job.set)\" was removed from the configuration before the backup started"))
        }
        complete(number, result)
        tasks[number] = nil
        if case .success(let record) = result, record.status == .complete, !isStopping {
            // Retention runs beside the next backup, never in its way.
            Task { await self.pruneAfterBackup(of: record.set) }
        }
        if let next = queue.finish(set: job.set) {
            if isStopping {
                complete(next, .failure(EngineError(.cancelled, "the daemon stopped before this backup started")))
            } else {
                start(next)
            }
        }
    }

    private func complete(_ number: Int, _ result: Result<BackupRecord, EngineError>) {
        guard let job = jobs.removeValue(forKey: number) else { return }
        for waiter in job.waiters { waiter.resume(returning: result) }
        outcomes[number] = result
        if outcomes.count > 256, let oldest = outcomes.keys.min() { outcomes[oldest] = nil }
    }
}
