/// The time a service lives by: a Swift `Clock` it sleeps and times out on, and the wall time it
/// records. Every wait in pacad's services goes through one of these, so a test drives them with
/// a manual clock and advances time instead of sleeping.
///
/// Waits that aim at a point in time sleep *until* it (``sleep(until:)``, on ``uptime``), never
/// for a length worked out from an earlier reading: time that passes between the reading and the
/// sleep would otherwise push the wake-up later. ``reading()`` gives the wall time and the uptime
/// of one instant, so a wall-clock deadline (a job's next slot) becomes an uptime one exactly.
///
/// `ServiceClock.system` sleeps on `ContinuousClock` and reads `CLOCK_REALTIME`; a test clock moves
/// both together.
public struct ServiceClock: Sendable {
    /// The wall time and the uptime of one instant.
    public struct Reading: Sendable, Equatable {
        /// Seconds since the Unix epoch.
        public let wall: Double
        /// Time since the clock was made, on the clock that does not jump.
        public let uptime: Duration
    }

    private let reader: @Sendable () -> Reading
    private let sleeper: @Sendable (Duration) async throws -> Void

    /// A service clock over `clock` (sleeps, timeouts, elapsed time) and an independent wall clock.
    public init<C: Clock>(_ clock: C, wall: WallClock) where C.Duration == Duration {
        let origin = clock.now
        reader = { Reading(wall: wall.now(), uptime: origin.duration(to: clock.now)) }
        sleeper = { deadline in try await clock.sleep(until: origin.advanced(by: deadline), tolerance: nil) }
    }

    /// A service clock over `clock` whose wall time is a function of its instants (a test clock:
    /// both move together, and one reading gives both).
    public init<C: Clock>(_ clock: C, wallAt wall: @escaping @Sendable (C.Instant) -> Double) where C.Duration == Duration {
        let origin = clock.now
        reader = {
            let instant = clock.now
            return Reading(wall: wall(instant), uptime: origin.duration(to: instant))
        }
        sleeper = { deadline in try await clock.sleep(until: origin.advanced(by: deadline), tolerance: nil) }
    }

    /// `ContinuousClock` and the system's real-time clock.
    public static let system = ServiceClock(ContinuousClock(), wall: .system)

    /// The wall time and the uptime, read at one instant.
    public func reading() -> Reading { reader() }

    /// Seconds since the Unix epoch.
    public func now() -> Double { reader().wall }

    /// The wall time (Unix seconds) the service records, as a ``WallClock``.
    public var wall: WallClock {
        let reader = self.reader
        return WallClock { reader().wall }
    }

    /// Time since this clock was made, on the clock that does not jump: for deadlines and debouncing.
    public var uptime: Duration { reader().uptime }

    /// Sleeps until ``uptime`` reaches `deadline`; throws `CancellationError` when the task is
    /// cancelled first.
    public func sleep(until deadline: Duration) async throws {
        try await sleeper(deadline)
    }

    /// Sleeps for `duration` from now.
    public func sleep(for duration: Duration) async throws {
        try await sleeper(uptime + max(duration, .zero))
    }

    /// Runs `body`, giving up on it after `limit`: returns nil (and cancels `body`) when the time
    /// ran out first.
    public func withTimeout<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async -> T) async -> T? {
        let deadline = uptime + limit
        return await withTaskGroup(of: T?.self) { group in
            group.addTask { await body() }
            group.addTask {
                try? await self.sleep(until: deadline)
                return nil
            }
            defer { group.cancelAll() }
            return await group.next() ?? nil
        }
    }
}

extension Duration {
    /// A duration of `seconds` (fractions to the nanosecond, rounded up).
    public static func seconds(rounding seconds: Double) -> Duration {
        .nanoseconds(Int64((seconds * 1e9).rounded(.up)))
    }

    /// The duration in seconds.
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
