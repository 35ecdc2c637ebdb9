import PacaCore
public import PacaSystem
import Synchronization

/// A clock a test moves by hand: a Swift `Clock` whose sleepers wake only when ``advance(by:)``
/// passes their deadline, and a wall time that moves with it. Hand ``serviceClock`` to a service
/// and time passes when the test says so, not while it waits.
public final class ManualClock: Clock, Sendable {
    public struct Instant: InstantProtocol {
        /// Time since the clock was made.
        public var offset: Duration

        public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        public func duration(to other: Instant) -> Duration { other.offset - offset }
        public static func < (a: Instant, b: Instant) -> Bool { a.offset < b.offset }
    }

    private struct Sleeper {
        var deadline: Instant
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now = Instant(offset: .zero)
        var sleepers: [UInt64: Sleeper] = [:]
        var nextID: UInt64 = 0
        var sleeperWatches: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []
        var sleepCalls = 0
        var callWatches: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state = Mutex(State())
    /// The wall time at offset zero, Unix seconds.
    private let epoch: Double

    /// A clock whose wall time starts at `wall` (RFC 3339, UTC).
    public init(wall: String = "2026-11-27T02:00:00Z") {
        epoch = Double(CivilTime(rfc3339: wall)!.unixSeconds)
    }

    public var now: Instant { state.withLock { $0.now } }
    public var minimumResolution: Duration { .zero }

    public func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            state.sleepCalls += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome = state.withLock { state -> Result<Void, any Error>? in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if deadline <= state.now { return .success(()) }
                    state.sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
                notifyWatchers()
            }
        } onCancel: {
            state.withLock { $0.sleepers.removeValue(forKey: id) }?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward by `duration`, waking every sleeper whose deadline has come, earliest first.
    public func advance(by duration: Duration) {
        let due = state.withLock { state -> [Sleeper] in
            state.now = state.now.advanced(by: duration)
            let now = state.now
            let due = state.sleepers.filter { $0.value.deadline <= now }
            for id in due.keys { state.sleepers[id] = nil }
            return due.values.sorted { $0.deadline < $1.deadline }
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Moves time forward to wall time `wall` (RFC 3339); a time not after now changes nothing.
    public func advance(to wall: String) {
        let target = Double(CivilTime(rfc3339: wall)!.unixSeconds)
        let step = target - self.wall.now()
        if step > 0 { advance(by: .milliseconds(Int64((step * 1000).rounded()))) }
    }

    /// Returns once at least `count` tasks sleep on this clock.
    public func waitForSleepers(_ count: Int = 1) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let isMet = state.withLock { state -> Bool in
                if state.sleepers.count >= count { return true }
                state.sleeperWatches.append((count, continuation))
                return false
            }
            if isMet { continuation.resume() }
        }
    }

    /// Returns once `count` sleeps have begun on this clock since it was made (a loop that went
    /// around and sleeps again counts each time).
    public func waitForSleepCalls(_ count: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let isMet = state.withLock { state -> Bool in
                if state.sleepCalls >= count { return true }
                state.callWatches.append((count, continuation))
                return false
            }
            if isMet { continuation.resume() }
        }
    }

    /// How many sleeps have begun on this clock so far.
    public var sleepCalls: Int { state.withLock { $0.sleepCalls } }

    /// How many tasks sleep on this clock now.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    private func notifyWatchers() {
        let met = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            let count = state.sleepers.count
            let calls = state.sleepCalls
            let met =
                state.sleeperWatches.filter { $0.count <= count }.map(\.continuation)
                + state.callWatches.filter { $0.count <= calls }.map(\.continuation)
            state.sleeperWatches.removeAll { $0.count <= count }
            state.callWatches.removeAll { $0.count <= calls }
            return met
        }
        for watcher in met { watcher.resume() }
    }

    /// The wall time: the start time plus how far the clock was advanced.
    public var wall: WallClock {
        WallClock { [self] in epoch + now.offset.inSeconds }
    }

    /// This clock for a service: sleeps here, wall time moving with it (one reading gives both).
    public var serviceClock: ServiceClock {
        let epoch = self.epoch
        return ServiceClock(self) { instant in epoch + instant.offset.inSeconds }
    }
}
