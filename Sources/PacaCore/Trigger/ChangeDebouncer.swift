/// Turns a stream of file changes into backups: a burst of saves makes one backup, taken once the
/// files have been quiet for `quiet` seconds. Pure state over times the caller passes in, so the
/// rule is tested without waiting.
///
/// * Each change pushes the due time to `quiet` seconds after it (the classic debounce).
/// * Changes that never stop (a log file rewritten every second in a watched folder) would
///   postpone the backup forever, so it is due at the latest `longest` seconds after the first
///   change of the burst.
/// * ``fire(at:)`` hands out the burst (its first path and how many changes it gathered) and
///   starts afresh; changes after that belong to the next burst.
public struct ChangeDebouncer: Sendable, Equatable {
    /// A burst of changes that is due for a backup.
    public struct Burst: Sendable, Equatable {
        /// The first path that changed in the burst.
        public var firstPath: String
        /// How many change notices the burst gathered.
        public var changes: Int
        /// When the first and the last change arrived.
        public var firstAt: Double
        public var lastAt: Double
    }

    public let quiet: Double
    public let longest: Double
    private var pending: Burst?

    /// `longest` defaults to twelve quiet periods (a minute for the default five seconds).
    public init(quiet: Double, longest: Double? = nil) {
        precondition(quiet > 0, "a quiet period must be positive")
        self.quiet = quiet
        self.longest = max(longest ?? quiet * 12, quiet)
    }

    /// Notes a change of `path` at time `now`.
    public mutating func note(_ path: String, at now: Double) {
        if pending == nil {
            pending = Burst(firstPath: path, changes: 1, firstAt: now, lastAt: now)
        } else {
            pending!.changes += 1
            pending!.lastAt = max(pending!.lastAt, now)
        }
    }

    /// When the pending burst is due, or nil when nothing changed since the last backup.
    public var dueAt: Double? {
        guard let pending else { return nil }
        return min(pending.lastAt + quiet, pending.firstAt + longest)
    }

    /// True when a burst is waiting for its quiet period.
    public var isPending: Bool { pending != nil }

    /// The burst, when it is due at `now`; it is then forgotten.
    public mutating func fire(at now: Double) -> Burst? {
        guard let due = dueAt, now >= due else { return nil }
        defer { pending = nil }
        return pending
    }
}
