import Synchronization

/// A one-shot signal from the control server ("the socket is bound") to the status service, which
/// then sends `READY=1`: nothing reaches systemd before the daemon can be talked to.
public final class Readiness: Sendable {
    private struct State {
        var isReady = false
        var waiters: [UInt64: CheckedContinuation<Bool, Never>] = [:]
        var next: UInt64 = 0
    }

    private let state = Mutex(State())

    public init() {}

    public func markReady() {
        let waiters = state.withLock { state in
            state.isReady = true
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: true) }
    }

    /// Returns true once ready; false if the waiting task is cancelled first.
    public func wait() async -> Bool {
        let id = state.withLock { state in
            defer { state.next += 1 }
            return state.next
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let answer = state.withLock { state -> Bool? in
                    if state.isReady { return true }
                    if Task.isCancelled { return false }
                    state.waiters[id] = continuation
                    return nil
                }
                if let answer { continuation.resume(returning: answer) }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume(returning: false)
        }
    }
}
