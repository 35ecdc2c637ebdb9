public import Logging
public import PacaConfig
import PacaCore
public import PacaEngine
public import PacaSystem

/// The `config_change` trigger: watches each set's `watch:` paths (through one ``FileWatcher``)
/// and backs the set up once its files have been quiet for its `debounce` period, so a burst of
/// saves makes one backup. A change while the set is being backed up queues one follow-up backup
/// (the engine's rule), which sees the change.
///
/// Changes to paths the set excludes (`exclude: ["*.swp"]`) do not count. Quiet periods are
/// measured on the injected clock (its uptime, which does not jump), so tests advance it.
public actor ChangeTrigger {
    /// What `daemon.status` shows for one watching set.
    public struct SetView: Sendable, Equatable {
        public var set: String
        public var watch: [String]
        /// The quiet period, seconds.
        public var debounce: Int64
        /// Seconds until the pending backup starts, when changes are waiting for their quiet period.
        public var dueIn: Double?
        public var lastChange: String?
    }

    struct Watched {
        var set: DaemonConfig.BackupSet
        var debouncer: ChangeDebouncer
        var lastChange: String?
    }

    let engine: BackupEngine
    let logger: Logger
    let clock: ServiceClock
    let events: AsyncStream<FileWatcher.Event>
    let sink: AsyncStream<FileWatcher.Event>.Continuation
    var watched: [String: Watched] = [:]
    var watcher: FileWatcher?
    /// Counts the watchers asked for; a watcher whose folders were walked while a later one was
    /// asked for (or the stop came) is dropped instead of installed.
    var generation = 0
    /// Cuts the wait for the next quiet period short when changes move it.
    let alarm = Alarm()
    var isStopped = false

    public init(engine: BackupEngine, clock: ServiceClock = .system, logger: Logger) {
        self.engine = engine
        self.logger = logger
        self.clock = clock
        (events, sink) = AsyncStream.makeStream(of: FileWatcher.Event.self, bufferingPolicy: .bufferingNewest(4096))
    }

    /// Seconds on the clock that does not jump.
    func monotonic() -> Double { clock.uptime.inSeconds }

    /// Watches what `config` asks for (at start and on reload). Sets that keep watching keep
    /// their pending changes; the watches are rebuilt every time, so a watched path whose folder
    /// was missing is picked up by the next reload once it exists. Walking the watched folders
    /// happens on a thread of its own.
    public func apply(_ config: DaemonConfig) async {
        var next: [String: Watched] = [:]
        for set in config.sets where set.listens(to: .configChange) && !set.watch.isEmpty {
            if var existing = watched[set.name], existing.debouncer.quiet == Double(set.debounce) {
                existing.set = set
                next[set.name] = existing
            } else {
                next[set.name] = Watched(
                    set: set, debouncer: ChangeDebouncer(quiet: Double(set.debounce)), lastChange: watched[set.name]?.lastChange)
            }
        }
        watched = next
        alarm.wake()
        let roots = Array(Set(next.values.flatMap(\.set.watch))).sorted()
        let ignoring = Self.ownPaths(config)
        watcher?.stop()
        watcher = nil
        generation += 1
        let asked = generation
        guard !roots.isEmpty else { return }
        let sink = self.sink
        // A thread of its own: walking a large watched tree takes a while.
        let started = await SystemThread.run { () -> Result<FileWatcher, EngineError> in
            Result { () throws(EngineError) in try FileWatcher(roots: roots, ignoring: ignoring) { sink.yield($0) } }
        }
        guard asked == generation, !isStopped else {
            // A later reload (or the stop) came while this one walked the folders.
            if case .success(let stale) = started { stale.stop() }
            return
        }
        switch started {
        case .success(let made):
            watcher = made
            logger.info("watching for changes", metadata: ["watch.paths": "\(roots.joined(separator: ", "))"])
        case .failure(let error):
            logger.error("config_change trigger is off: \(error.message)")
        }
    }

    /// Handles changes and starts the backups whose quiet period is over, until cancelled (the
    /// daemon stopping); then stops watching.
    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.fireWhenQuiet() }
            for await event in events {
                handle(event)
            }
            group.cancelAll()
        }
        stop()
    }

    /// Sleeps until the earliest pending set's quiet period is over (or a change moves it) and
    /// backs up the sets that are due, until cancelled.
    private func fireWhenQuiet() async {
        while !Task.isCancelled {
            let due = watched.values.compactMap(\.debouncer.dueAt).min()
            if let due, due <= monotonic() {
                await fireDue()
                continue
            }
            let deadline = due.map { Duration.seconds(rounding: $0) } ?? clock.uptime + .seconds(3600)
            await alarm.sleep(until: deadline, on: clock)
        }
    }

    /// Stops watching; pending changes are dropped (the stop's own `shutdown` trigger is the
    /// place to back up on the way out).
    public func stop() {
        isStopped = true
        watcher?.stop()
        watcher = nil
        sink.finish()
    }

    /// Every watching set, by name.
    public func snapshot() -> [SetView] {
        let now = monotonic()
        return watched.values.sorted { $0.set.name < $1.set.name }.map { entry in
            SetView(
                set: entry.set.name, watch: entry.set.watch, debounce: entry.set.debounce,
                dueIn: entry.debouncer.dueAt.map { max(0, $0 - now) }, lastChange: entry.lastChange)
        }
    }

    func handle(_ event: FileWatcher.Event) {
        let now = monotonic()
        switch event {
        case .changed(let path, let isDirectory):
            for name in Array(watched.keys) where Self.counts(path, isDirectory: isDirectory, for: watched[name]!.set) {
                watched[name]!.debouncer.note(path, at: now)
                watched[name]!.lastChange = path
                logger.debug("watched path changed", metadata: ["backup.set": "\(name)", "file.path": "\(path)"])
            }
        case .overflow:
            logger.warning("too many file changes at once for the kernel's queue; backing up every watching set")
            for name in Array(watched.keys) { watched[name]!.debouncer.note(watched[name]!.set.watch[0], at: now) }
        case .problem(let message):
            logger.warning("\(message)")
        }
        alarm.wake()
    }

    private func fireDue() async {
        let now = monotonic()
        for name in watched.keys.sorted() {
            guard let burst = watched[name]?.debouncer.fire(at: now) else { continue }
            let reason =
                burst.changes == 1 ? "\(burst.firstPath) changed" : "\(burst.firstPath) and others changed (\(burst.changes) changes)"
            do throws(EngineError) {
                let ticket = try await engine.requestBackup(set: name, trigger: .configChange, reason: reason)
                logger.info(
                    "watched files changed; backing up",
                    metadata: ["backup.set": "\(name)", "watch.changes": "\(burst.changes)", "backup.queued": "\(ticket.isQueued)"])
            } catch {
                logger.warning(
                    "watched files changed but no backup could start", metadata: ["backup.set": "\(name)", "error": "\(error.message)"])
            }
        }
    }

    /// Whether a change of `path` counts for `set`: it is one of the set's watched paths or under
    /// one, and not excluded by the set's patterns (matched as in the archive: by name, or by path
    /// under the watched folder's name).
    static func counts(_ path: String, isDirectory: Bool, for set: DaemonConfig.BackupSet) -> Bool {
        for root in set.watch where path == root || path.hasPrefix(root == "/" ? "/" : root + "/") {
            let base = WatchTable.split(root).name
            let relative = path == root ? "" : String(path.dropFirst(root == "/" ? 1 : root.count + 1))
            let stored = relative.isEmpty ? base : base + "/" + relative
            let excluded = set.excludes.contains { pattern in
                pattern.matchesSelfOrAncestor(path: stored, isDirectory: isDirectory)
                    || (!relative.isEmpty && pattern.isAnchored && pattern.matchesSelfOrAncestor(path: relative, isDirectory: isDirectory))
            }
            if !excluded { return true }
        }
        return false
    }

    /// Folders pacad itself writes to: its state and its directory targets.
    static func ownPaths(_ config: DaemonConfig) -> [String] {
        var paths = [config.stateDirectory]
        for target in config.targets {
            if case .directory(let path) = target.kind { paths.append(path) }
        }
        return paths.map { $0.count > 1 && $0.hasSuffix("/") ? String($0.dropLast()) : $0 }.sorted()
    }
}
