#if canImport(Glibc)
    import Glibc
#endif

/// A mutex with a few condition variables (pthread), for the places where threads wait for each
/// other. Separate conditions let a producer wake only the kind of thread that can proceed,
/// instead of every thread. The pthread objects live at stable heap addresses and are destroyed
/// in `deinit`.
public final class ConditionLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let conditions: UnsafeMutablePointer<pthread_cond_t>
    private let conditionCount: Int

    public init(conditions count: Int = 1) {
        conditionCount = count
        mutex = .allocate(capacity: 1)
        conditions = .allocate(capacity: count)
        precondition(pthread_mutex_init(mutex, nil) == 0, "pthread_mutex_init failed")
        for i in 0..<count {
            precondition(pthread_cond_init(conditions + i, nil) == 0, "pthread_cond_init failed")
        }
    }

    deinit {
        for i in 0..<conditionCount { pthread_cond_destroy(conditions + i) }
        pthread_mutex_destroy(mutex)
        conditions.deallocate()
        mutex.deallocate()
    }

    public func lock() { pthread_mutex_lock(mutex) }
    public func unlock() { pthread_mutex_unlock(mutex) }
    /// Waits on condition `index`; the lock must be held, and is held again on return.
    public func wait(_ index: Int = 0) { pthread_cond_wait(conditions + index, mutex) }
    /// Wakes one thread waiting on condition `index`.
    public func signal(_ index: Int = 0) { pthread_cond_signal(conditions + index) }
    /// Wakes every thread waiting on condition `index`.
    public func broadcast(_ index: Int = 0) { pthread_cond_broadcast(conditions + index) }

    public func withLock<R>(_ body: () throws -> R) rethrows -> R {
        lock()
        defer { unlock() }
        return try body()
    }
}
