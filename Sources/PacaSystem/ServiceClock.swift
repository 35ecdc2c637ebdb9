/// The time a service lives by: a Swift `Clock` it sleeps and times out on, and the wall time it
/// records. Every wait in pacad's services goes through one of these, so a test drives them with
/// a manual clock and advances time instead of sleeping.
///
/// `ServiceClock.system` sleeps on `ContinuousClock` and reads `CLOCK_REALTIME`; a test clock moves
/// both together.
public struct ServiceClock: Sendable {
    /// The wall time (Unix seconds) the service records.
    public let wall: WallClock
    private let elapsed: @Sendable () -> Duration
    private let sleeper: @Sendable (Duration) async throws -> Void

    /// A service clock over `clock` (sleeps, timeouts, elapsed time) and `wall`.
    public init<C: Clock>(_ clock: C, wall: WallClock) where C.Duration == Duration {
        let origin = clock.now
        self.wall = wall
        elapsed = { origin.duration(to: clock.now) }
        sleeper = { duration in try await clock.sleep(until: clock.now.advanced(by: duration), tolerance: nil) }
    }

    /// `ContinuousClock` and the system's real-time clock.
    public static let system = ServiceClock(ContinuousClock(), wall: .system)

    /// Seconds since the Unix epoch.
    public func now() -> Double { wall.now() }

    /// Time since this clock was made, on the clock that does not jump: for deadlines and debouncing.
    public var uptime: Duration { elapsed() }

    /// Sleeps for `duration`; throws `CancellationError` when the task is cancelled first.
    public func sleep(for duration: Duration) async throws {
        try await sleeper(max(duration, .zero))
    }

    /// Sleeps until ``uptime`` reaches `deadline`.
    public func sleep(until deadline: Duration) async throws {
        try await sleep(for: deadline - uptime)
    }

    /// Runs `body`, giving up on it after `limit`: returns nil (and cancels `body`) when the time
    /// ran out first.
    public func withTimeout<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async -> T) async -> T? {
        await withTaskGroup(of: T?.self) { group in
            group.addTask { await body() }
            group.addTask {
                try? await self.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            return await group.next() ?? nil
        }
    }
}
