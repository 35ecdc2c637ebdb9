import Synchronization

/// A sleep that another task can cut short: a loop sleeps until its next deadline, and whoever
/// changes what the deadline should be calls ``wake()`` (a job added, a file changed). A wake that
/// comes before the sleep starts is not lost: the next sleep returns at once.
public final class Alarm: Sendable {
    private struct State {
        var isRung = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    public init() {}

    /// Sleeps for `duration` on `clock`, or until ``wake()`` or cancellation, whichever is first.
    public func sleep(for duration: Duration, on clock: ServiceClock) async {
        await sleep(until: clock.uptime + duration, on: clock)
    }

    /// Sleeps until `clock`'s uptime reaches `deadline`, or until ``wake()`` or cancellation.
    public func sleep(until deadline: Duration, on clock: ServiceClock) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await clock.sleep(until: deadline) }
            group.addTask { await self.waitForWake() }
            await group.next()
            group.cancelAll()
        }
    }

    /// Ends the current sleep, or the next one if none is going on.
    public func wake() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            defer { state.waiter = nil }
            if state.waiter == nil { state.isRung = true }
            return state.waiter
        }
        waiter?.resume()
    }

    private func waitForWake() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.isRung || Task.isCancelled {
                        state.isRung = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }
}
