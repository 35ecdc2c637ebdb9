public import Logging
import PacaArchive
public import PacaCatalog
public import PacaConfig
public import PacaCore
public import PacaFiles
public import PacaSystem
public import PacaTargets

/// Runs backups, restores and verifications. One backup per set at a time; a request for a set
/// that is already running waits for a single follow-up run that every such request shares (see
/// ``SetQueue``). Backups and the work that follows them (pruning) run as child tasks of
/// ``run()``, which the daemon's engine service owns; the archive work itself runs on threads of
/// its own, so the actor only keeps the books and always answers quickly.
public actor BackupEngine {
    /// How a backup compares the set with the previous backup.
    public enum BackupMode: Int, Sendable, Comparable {
        /// Store what changed since the previous backup (when the set is incremental).
        case changes
        /// Read every file whose size did not change and compare digests (`--rehash`).
        case rehash
        /// Store every file's bytes (`--full`).
        case full

        public static func < (a: BackupMode, b: BackupMode) -> Bool { a.rawValue < b.rawValue }
    }

    /// A backup request as it was admitted.
    public struct Ticket: Sendable, Equatable {
        public var number: Int
        public var set: String
        /// True when it waits behind a running backup of the same set (possibly shared with others).
        public var isQueued: Bool
    }

    /// How many captures of one set may wait for their backups: each holds its copy meanwhile.
    public static let capturesWaiting = 4

    struct Job {
        var set: String
        var trigger: BackupTrigger
        var reason: String?
        var mode: BackupMode
        var capture: CheckpointBackup?
        var requests = 1
        let progress = RunProgress()
        var recordID: String?
        var startedAt: Int64?
        var waiters: [Int: CheckedContinuation<Result<BackupRecord, EngineError>, Never>] = [:]
    }

    struct Reader {
        var kind: Activity.Kind
        var backupID: String
        var set: String
        var startedAt: Int64
        var progress: RunProgress
    }

    /// Work for ``run()``'s task group.
    enum Work: Sendable {
        case backup(Int)
        case prune(set: String)
    }

    public let catalog: Catalog
    let clock: ServiceClock
    let logger: Logger
    var config: DaemonConfig
    var queue = SetQueue()
    var jobs: [Int: Job] = [:]
    /// Backups started and not yet ended; ``stop(grace:)`` waits for none to be left.
    var running: Set<Int> = []
    var idleWaiters: [CheckedContinuation<Void, Never>] = []
    /// Outcomes of recent backups, for requests that ask after the backup already ended.
    var outcomes: [Int: Result<BackupRecord, EngineError>] = [:]
    var readers: [Int: Reader] = [:]
    /// Restores the callers' own pacactl writes, by session (``openRestore(_:owner:access:)``).
    var restoreSessions: [String: RestoreReading] = [:]
    var nextReader = 1
    var nextWaiter = 1
    var isStopping = false
    var random = SystemRandomNumberGenerator()
    let factory: TargetFactory
    /// Which marker each directory target's root must carry (`<state_dir>/targets.json`).
    let identities: TargetIdentities
    /// The S3 uploads this machine started and has not finished (`<state_dir>/uploads.json`).
    let uploads: UploadJournal
    let timing: Timing
    /// Each configured target, or why it cannot be used; built from ``config`` by ``buildTargets()``.
    var targets: [String: Result<any ArchiveTarget, EngineError>] = [:]
    /// The configuration ``targets`` was built from.
    var builtTargets: [DaemonConfig.Target]?
    /// What the last check of each target found, and its last delivery.
    var targetStates: [String: TargetState] = [:]
    /// The claim of each target's root under way (see ``claim(_:named:)``).
    var claims: [String: Task<Void, Never>] = [:]
    /// The copy under way of each backup (by id) to each target that missed it (by name).
    var copies: [String: [String: Task<Void, Never>]] = [:]
    /// Backups whose copies are being removed (a delete, a prune): no copy of them starts meanwhile.
    var removing: Set<String> = []
    var isPruning = false
    var pruneWaiters: [CheckedContinuation<Void, Never>] = []
    /// The scrub pass running on each target (one at a time; a second request joins it), and
    /// the pacer that keeps its reads to the target's rate (stopped when the daemon stops).
    var scrubs: [String: (number: Int, task: Task<ScrubReport, Never>, pacer: ReadPacer)] = [:]
    /// The zone retention reads hours, days, weeks, months and years in (the machine's).
    let zone: ZoneRules
    /// Where each whole-set backup's paths go for the dashboard's tree, history and diffs.
    let files: FileIndex?
    private let work: AsyncStream<Work>
    private let submit: AsyncStream<Work>.Continuation

    /// How often the engine looks after its targets.
    public struct Timing: Sendable {
        /// Wait before the first retry of a failed delivery, seconds; doubles with each attempt.
        public var retryDelay: Double
        /// Longest wait between retries, seconds.
        public var maximumRetryDelay: Double
        /// How often targets are checked and due retries run (``maintain()``).
        public var checkInterval: Duration
        /// How often a scheduled scrub pass looks for copies due (``scrubDue()``).
        public var scrubInterval: Duration

        public init(
            retryDelay: Double = 60, maximumRetryDelay: Double = 3600, checkInterval: Duration = .seconds(60),
            scrubInterval: Duration = .seconds(3600)
        ) {
            self.retryDelay = retryDelay
            self.maximumRetryDelay = maximumRetryDelay
            self.checkInterval = checkInterval
            self.scrubInterval = scrubInterval
        }
    }

    public init(
        config: DaemonConfig, catalog: Catalog, clock: ServiceClock = .system, logger: Logger, factory: TargetFactory = .system(),
        timing: Timing = Timing(), zone: ZoneRules = .utc, files: FileIndex? = nil
    ) {
        self.files = files
        self.zone = zone
        self.config = config
        self.catalog = catalog
        self.clock = clock
        self.logger = logger
        self.factory = factory
        identities = TargetIdentities(stateDirectory: config.stateDirectory)
        uploads = UploadJournal(stateDirectory: config.stateDirectory)
        self.timing = timing
        (work, submit) = AsyncStream.makeStream(of: Work.self)
    }

    /// Runs backups and the work that follows them, each as a child task, until ``stop(grace:)``
    /// has let the last one end. Requests made before this runs wait for it.
    public nonisolated func run() async {
        await withDiscardingTaskGroup { group in
            for await item in work {
                group.addTask { await self.perform(item) }
            }
        }
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
    public func requestBackup(set: String?, trigger: BackupTrigger, reason: String?, mode: BackupMode = .changes) throws(EngineError)
        -> Ticket
    {
        guard !isStopping else { throw EngineError(.cancelled, "the daemon is stopping; no new backups start") }
        let name = try resolveSet(set)
        let admission = queue.admit(set: name)
        switch admission {
        case .start(let number), .queued(let number):
            jobs[number] = Job(set: name, trigger: trigger, reason: reason, mode: mode)
            if case .start = admission { start(number) }
        case .joined(let number):
            jobs[number]?.requests += 1
            // A shared backup does what the most thorough request asked for.
            if let current = jobs[number]?.mode, mode > current { jobs[number]?.mode = mode }
            if trigger == .emergency {
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

    /// Asks for the backup of a captured checkpoint of `set`: its own backup, after those of the
    /// set already waiting, never shared. Refused while ``capturesWaiting`` captures of the set wait.
    public func requestCapture(set: String, _ capture: CheckpointBackup, reason: String?) throws(EngineError) -> Ticket {
        guard !isStopping else { throw EngineError(.cancelled, "the daemon is stopping; no new backups start") }
        let name = try resolveSet(set)
        guard queue.unsharedWaiting(for: name) < Self.capturesWaiting else {
            throw EngineError(.busy, "\(Self.capturesWaiting) checkpoints of set \"\(name)\" already wait for their backups")
        }
        let admission = queue.admit(set: name, joinable: false)
        jobs[admission.ticket] = Job(set: name, trigger: .checkpoint, reason: reason, mode: .full, capture: capture)
        if case .start = admission { start(admission.ticket) }
        return Ticket(number: admission.ticket, set: name, isQueued: admission != .start(ticket: admission.ticket))
    }

    /// Waits for the backup of `ticket` to end and returns its catalog record, whatever its status.
    /// Throws when the backup never started (the daemon stopped first, its set was removed), and
    /// when the waiting task is cancelled (the backup goes on).
    public func outcome(of ticket: Ticket) async throws(EngineError) -> BackupRecord {
        if let outcome = outcomes[ticket.number] { return try outcome.get() }
        guard jobs[ticket.number] != nil else {
            throw EngineError(.notFound, "backup request \(ticket.number) is no longer known")
        }
        let waiter = nextWaiter
        nextWaiter += 1
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<BackupRecord, EngineError>, Never>) in
                if Task.isCancelled {
                    continuation.resume(returning: .failure(Self.stoppedWaiting))
                } else {
                    jobs[ticket.number]?.waiters[waiter] = continuation
                }
            }
        } onCancel: {
            Task { await self.stopWaiting(ticket.number, waiter) }
        }
        return try result.get()
    }

    private static let stoppedWaiting = EngineError(.cancelled, "stopped waiting for the backup; it goes on")

    private func stopWaiting(_ number: Int, _ waiter: Int) {
        jobs[number]?.waiters.removeValue(forKey: waiter)?.resume(returning: .failure(Self.stoppedWaiting))
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

    /// Stops taking work, lets running backups finish for up to `grace` on the engine's clock,
    /// then cancels what is left (a cancelled backup removes its partial archive and is
    /// cataloged as cancelled), and lets ``run()`` return once the last one has ended.
    public func stop(grace: Duration) async {
        isStopping = true
        for scrub in scrubs.values { scrub.pacer.stop() }
        for number in queue.dropWaiting() { await abandon(number) }
        if !running.isEmpty {
            logger.info(
                "waiting for running work before stopping", metadata: ["engine.running": "\(running.count)", "engine.grace": "\(grace)"])
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    guard (try? await self.clock.sleep(for: grace)) != nil else { return }
                    await self.cancelRunningWork()
                }
                await waitUntilIdle()
                group.cancelAll()
            }
        }
        submit.finish()
    }

    /// The stop's grace period is over: running operations are asked to stop at their next check.
    private func cancelRunningWork() {
        guard !running.isEmpty else { return }
        logger.warning("grace period over; cancelling running work")
        for job in jobs.values { job.progress.cancel() }
        for reader in readers.values { reader.progress.cancel() }
    }

    /// Returns once no backup is running (at once when none is).
    func waitUntilIdle() async {
        guard !running.isEmpty else { return }
        await withCheckedContinuation { idleWaiters.append($0) }
    }

    private func releaseIdleWaiters() {
        for waiter in idleWaiters { waiter.resume() }
        idleWaiters.removeAll()
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
        running.insert(number)
        submit.yield(.backup(number))
    }

    private func perform(_ item: Work) async {
        switch item {
        case .backup(let number): await runBackup(number)
        case .prune(let set): await pruneAfterBackup(of: set)
        }
    }

    private func runBackup(_ number: Int) async {
        guard let job = jobs[number] else { return finish(number) }
        var result: Result<BackupRecord, EngineError>
        if let set = config.set(named: job.set) {
            result = await write(number, set: set)
            if job.capture != nil, case .success(let written) = result, written.isRestorePoint {
                result = .success(await verifyCopies(of: written.id) ?? written)
            }
        } else {
            result = .failure(
                EngineError(.notFound, "backup set \"\(job.set)\" was removed from the configuration before the backup started"))
        }
        // The copy goes before the outcome is told, so a caller who waited finds it gone.
        if let capture = job.capture { await BlockingPool.shared.run { capture.remove() } }
        complete(number, result)
        if case .success(let record) = result, record.isRestorePoint, !isStopping {
            // Retention runs beside the next backup, never in its way.
            submit.yield(.prune(set: record.set))
        }
        if let next = queue.finish(set: job.set) {
            if isStopping { await abandon(next) } else { start(next) }
        }
        finish(number)
    }

    /// Ends waiting job `number` without running it, deleting its checkpoint copy if it has one.
    private func abandon(_ number: Int) async {
        let capture = jobs[number]?.capture
        complete(number, .failure(EngineError(.cancelled, "the daemon stopped before this backup started")))
        if let capture { await BlockingPool.shared.run { capture.remove() } }
    }

    private func finish(_ number: Int) {
        running.remove(number)
        if running.isEmpty { releaseIdleWaiters() }
    }

    private func complete(_ number: Int, _ result: Result<BackupRecord, EngineError>) {
        guard let job = jobs.removeValue(forKey: number) else { return }
        for waiter in job.waiters.values { waiter.resume(returning: result) }
        outcomes[number] = result
        if outcomes.count > 256, let oldest = outcomes.keys.min() { outcomes[oldest] = nil }
    }
}
