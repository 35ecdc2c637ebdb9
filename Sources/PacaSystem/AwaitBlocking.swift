import Synchronization

/// Runs the async `body` as a task and blocks the calling thread until it ends. Only for threads
/// outside Swift's cooperative pool (a ``SystemThread``, a ``BlockingPool`` thread) where
/// synchronous code (an archive sink, a byte source) has to wait for network I/O: this is the one
/// bridge from such a thread back into async code.
public func awaitBlocking<T: Sendable, E: Error>(_ body: @escaping @Sendable () async throws(E) -> T) throws(E) -> T {
    let done = ConditionLock()
    let result = Mutex<Result<T, E>?>(nil)
    Task {
        let outcome: Result<T, E>
        do throws(E) { outcome = .success(try await body()) } catch { outcome = .failure(error) }
        done.withLock {
            result.withLock { $0 = outcome }
            done.signal()
        }
    }
    done.lock()
    while result.withLock({ $0 == nil }) { done.wait() }
    done.unlock()
    return try result.withLock { $0 }!.get()
}
