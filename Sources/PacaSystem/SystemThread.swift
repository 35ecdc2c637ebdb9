import CPacaSystem

#if canImport(Glibc)
    import Glibc
#endif

/// Threads of pacad's own, for blocking work that must stay off Swift's cooperative pool.
public enum SystemThread {
    private final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// Starts a detached thread running `body`. For work that lives long (an inotify loop) or whose
    /// number the caller bounds (one archive writer per running backup).
    public static func detach(_ body: @escaping @Sendable () -> Void) {
        let thread = spawn(body)
        pthread_detach(thread)
    }

    /// Runs `body` on a thread of its own and hands its result to the awaiting task: for long
    /// operations (writing, verifying or restoring an archive) that would hold a
    /// ``BlockingPool`` thread for minutes. Callers bound how many run at once.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            detach { continuation.resume(returning: body()) }
        }
    }

    /// Starts a joinable thread; ``ThreadGroup`` joins it.
    static func spawn(_ body: @escaping () -> Void) -> pthread_t {
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
        return thread
    }

    /// Puts the calling thread's disk I/O in the idle class, below every other process's (a
    /// background scrub). Lasts for the thread's life. Returns false where the kernel refuses.
    @discardableResult
    public static func lowerIOPriority() -> Bool { paca_io_priority_idle() == 0 }

    /// The calling thread's I/O priority class (3 is idle), or nil when it cannot be read.
    public static var ioPriorityClass: Int? {
        let value = paca_io_priority()
        return value < 0 ? nil : Int(value >> 13)
    }

    /// Blocks the calling thread for `seconds`.
    public static func sleep(seconds: Double) {
        guard seconds > 0 else { return }
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.down)) * 1e9))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }

    /// The number of processors online, at least 1.
    public static var processorCount: Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }
}

/// Threads for blocking work (file reads, zlib) that must stay off Swift's cooperative pool.
/// ``joinAll()`` waits for every thread started with ``spawn(_:)``.
public final class ThreadGroup {
    private var threads: [pthread_t] = []

    public init() {}

    public func spawn(_ body: @escaping () -> Void) {
        threads.append(SystemThread.spawn(body))
    }

    public func joinAll() {
        for thread in threads { pthread_join(thread, nil) }
        threads.removeAll()
    }

    deinit { joinAll() }
}

/// Runs `body(context, index)` for every index in `0..<count` on `threads` threads (the calling
/// thread is one of them), handing out indices in order from a shared counter. Each thread makes
/// its own `context` once (a decompressor and its buffers, say). Returns when all are done.
///
/// Used for verify and extract, where each index is one archive entry: blocking reads, zlib and
/// writes, so the threads are real threads, not tasks on Swift's cooperative pool.
public func parallelLoop<Context>(count: Int, threads: Int, context: @escaping () -> Context, _ body: @escaping (Context, Int) -> Void) {
    let lock = ConditionLock()
    var next = 0
    let take = {
        lock.withLock { () -> Int? in
            guard next < count else { return nil }
            defer { next += 1 }
            return next
        }
    }
    let worker = {
        let local = context()
        while let index = take() { body(local, index) }
    }
    let group = ThreadGroup()
    for _ in 1..<max(1, min(threads, count)) { group.spawn(worker) }
    worker()
    group.joinAll()
}
