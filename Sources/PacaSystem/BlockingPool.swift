/// A fixed number of threads for short blocking calls (a `stat`, opening a database, reading a
/// small file, listing a folder), so that the cooperative pool never blocks on the disk and the
/// number of threads such work can take stays bounded.
///
/// Work waits its turn in submission order when every thread is busy. Work run here must not wait
/// for other work of the same pool (that could take every thread and wait forever): long
/// operations that do (an archive writer reading through a target) run on a ``SystemThread``.
/// Threads start on first use and then stay.
public final class BlockingPool: @unchecked Sendable {
    /// The pool pacad's modules share: 8 threads, or twice the processors when that is more.
    public static let shared = BlockingPool(threads: max(8, 2 * SystemThread.processorCount))

    /// How many threads the pool runs at most.
    public let maximumThreads: Int
    private let lock = ConditionLock()
    private var queue: [() -> Void] = []
    private var head = 0
    private var threads = 0
    private var idle = 0

    public init(threads: Int) {
        precondition(threads > 0, "a blocking pool needs at least one thread")
        maximumThreads = threads
    }

    /// Runs `body` on one of the pool's threads and returns its result.
    public func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            submit { continuation.resume(returning: body()) }
        }
    }

    /// Runs a throwing `body` on one of the pool's threads, keeping its error's type.
    public func run<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        let result = await run { () -> Result<T, E> in Result { () throws(E) -> T in try body() } }
        return try result.get()
    }

    /// Runs `work` on one of the pool's threads and returns at once.
    public func execute(_ work: @escaping @Sendable () -> Void) {
        submit(work)
    }

    private func submit(_ work: @escaping () -> Void) {
        lock.lock()
        queue.append(work)
        if idle > 0 {
            lock.signal()
        } else if threads < maximumThreads {
            threads += 1
            SystemThread.detach { self.work() }
        }
        lock.unlock()
    }

    private func work() {
        lock.lock()
        while true {
            while head == queue.count {
                idle += 1
                lock.wait()
                idle -= 1
            }
            let next = queue[head]
            head += 1
            if head == queue.count {
                queue.removeAll(keepingCapacity: true)
                head = 0
            }
            lock.unlock()
            next()
            lock.lock()
        }
    }
}
