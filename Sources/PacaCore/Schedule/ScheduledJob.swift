/// A job's schedule and where it stands: the pure state machine behind the scheduler. The
/// scheduler service feeds it the time (from an injected clock) and acts on what it answers; the
/// state is what pacad persists, so a restart resumes the cadence instead of resetting it.
///
/// * A slot that came while the daemon was stopped (or the machine slept, or the clock jumped)
///   runs **once** when the job is next looked at, recorded as a catch-up, however many slots were
///   missed; `catchUp: false` skips them instead, recorded as skipped.
/// * A job never overlaps itself: a slot that comes while its previous run is still going is
///   skipped and recorded.
/// * Jitter delays each slot by a random amount up to `jitter` (the caller draws it), without
///   moving the grid: the next slot is computed from the undelayed one.
public struct ScheduledJob: Sendable, Hashable, Codable {
    public var name: String
    /// The backup set the job backs up.
    public var set: String
    public var schedule: Schedule
    /// The largest random delay added to each slot, in seconds.
    public var jitter: Int64
    public var catchUp: Bool
    public var isPaused: Bool = false
    /// The undelayed time of the next slot; nil when the schedule never fires again.
    public var nextSlot: Int64?
    /// When the job should next run: ``nextSlot`` plus this slot's jitter.
    public var nextDue: Int64?
    /// The slot the last run was for, and when it started.
    public var lastSlot: Int64?
    public var lastRun: Int64?
    public var isRunning = false

    public init(name: String, set: String, schedule: Schedule, jitter: Int64 = 0, catchUp: Bool = true) {
        self.name = name
        self.set = set
        self.schedule = schedule
        self.jitter = jitter
        self.catchUp = catchUp
    }

    /// What the scheduler should do now.
    public enum Action: Sendable, Equatable {
        /// Run the job: a regular slot, or a catch-up for `missed` slots that passed unseen.
        case run(catchUp: Bool, missed: Int)
        /// A slot came while the previous run was still going; nothing runs.
        case skipBusy
        /// Slots passed while the daemon was stopped and `catchUp` is off; nothing runs.
        case skipMissed(Int)
    }

    /// Looks at the job at `now` (on start, on a timer, after the clock moved): returns what to do,
    /// and moves the state on. `delay` is this slot's jitter, drawn by the caller in `0...jitter`.
    /// `lateness` is how late a slot may be seen and still count as on time (a timer that woke a
    /// little late), rather than as missed.
    public mutating func poll(now: Int64, zone: ZoneRules, delay: Int64 = 0, lateness: Int64 = 60) -> Action? {
        guard !isPaused else { return nil }
        if nextSlot == nil && lastSlot == nil {
            plan(after: now, zone: zone, delay: delay)
            return nil
        }
        guard let due = nextDue, let slot = nextSlot, due <= now else { return nil }
        let missed = schedule.slots(between: slot, and: now, previous: slot, in: zone) + 1
        let isLate = now - due > lateness
        let latest = isLate ? now : slot
        if isRunning {
            plan(after: latest, zone: zone, delay: delay, previous: slot)
            return .skipBusy
        }
        if isLate && !catchUp {
            plan(after: now, zone: zone, delay: delay, previous: slot)
            return .skipMissed(missed)
        }
        lastSlot = slot
        lastRun = now
        isRunning = true
        plan(after: latest, zone: zone, delay: delay, previous: slot)
        return .run(catchUp: isLate, missed: isLate ? missed : 0)
    }

    /// The run started by ``poll(now:zone:delay:lateness:)`` ended.
    public mutating func runEnded() {
        isRunning = false
    }

    /// Stops the job from running until ``resume(now:zone:delay:)``.
    public mutating func pause() {
        isPaused = true
    }

    /// Lets the job run again from the next slot after `now` (slots passed while paused are not
    /// caught up).
    public mutating func resume(now: Int64, zone: ZoneRules, delay: Int64 = 0) {
        guard isPaused else { return }
        isPaused = false
        plan(after: now, zone: zone, delay: delay, previous: lastSlot)
    }

    private mutating func plan(after instant: Int64, zone: ZoneRules, delay: Int64, previous: Int64? = nil) {
        nextSlot = schedule.slot(after: instant, previous: previous, in: zone)
        nextDue = nextSlot.map { $0 + min(max(0, delay), jitter) }
    }
}

extension Schedule: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        if text.hasPrefix("every "), let seconds = DurationText.seconds(String(text.dropFirst(6))) {
            self = .every(seconds)
        } else {
            do { self = .cron(try CronExpression(text)) } catch {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
            }
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
