/// A one-shot signal from the control server ("the socket is bound") to the status service, which
/// then sends `READY=1`: nothing reaches systemd before the daemon can be talked to.
public actor Readiness {
    private var isReady = false
    private var waiters: [CheckedContinuation<Bool, Never>] = []

    public init() {}

    public func markReady() {
        isReady = true
        for waiter in waiters { waiter.resume(returning: true) }
        waiters.removeAll()
    }

    /// Returns true once ready; false if the waiting task is cancelled first.
    public func wait() async -> Bool {
        if isReady { return true }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { waiters.append($0) }
        } onCancel: {
            Task { await self.cancelWaiters() }
        }
    }

    private func cancelWaiters() {
        for waiter in waiters { waiter.resume(returning: false) }
        waiters.removeAll()
    }
}
