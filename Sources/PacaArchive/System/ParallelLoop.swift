/// Runs `body(context, index)` for every index in `0..<count` on `threads` threads (the calling
/// thread is one of them), handing out indices in order from a shared counter. Each thread makes
/// its own `context` once (a decompressor and its buffers, say). Returns when all are done.
///
/// Used for verify and extract, where each index is one archive entry: blocking reads, zlib and
/// writes, so the threads are real threads, not tasks on Swift's cooperative pool.
func parallelLoop<Context>(count: Int, threads: Int, context: @escaping () -> Context, _ body: @escaping (Context, Int) -> Void) {
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
