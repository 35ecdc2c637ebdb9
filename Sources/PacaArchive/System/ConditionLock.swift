#if canImport(Glibc)
    import Glibc
#endif

/// A mutex with a few condition variables (pthread), for the places where threads wait for each
/// other. Separate conditions let a producer wake only the kind of thread that can proceed,
/// instead of every thread. The pthread objects live at stable heap addresses and are destroyed
/// in `deinit`.
final class ConditionLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let conditions: UnsafeMutablePointer<pthread_cond_t>
    private let conditionCount: Int

    init(conditions count: Int = 1) {
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

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }
    /// Waits on condition `index`; the lock must be held, and is held again on return.
    func wait(_ index: Int = 0) { pthread_cond_wait(conditions + index, mutex) }
    /// Wakes one thread waiting on condition `index`.
    func signal(_ index: Int = 0) { pthread_cond_signal(conditions + index) }
    /// Wakes every thread waiting on condition `index`.
    func broadcast(_ index: Int = 0) { pthread_cond_broadcast(conditions + index) }

    func withLock<R>(_ body: () throws -> R) rethrows -> R {
        lock()
        defer { unlock() }
        return try body()
    }
}

/// Threads for blocking work (file reads, zlib) that must stay off Swift's cooperative pool.
/// ``joinAll()`` waits for every thread started with ``spawn(_:)``.
final class ThreadGroup {
    private final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    private var threads: [pthread_t] = []

    func spawn(_ body: @escaping () -> Void) {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(
            &thread, nil,
            { raw in
                let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
                box.body()
                return nil
            }, box)
        precondition(status == 0, "pthread_create failed with \(status)")
        threads.append(thread)
    }

    func joinAll() {
        for thread in threads { pthread_join(thread, nil) }
        threads.removeAll()
    }

    deinit { joinAll() }
}
