import PacaSystem

/// A byte counter shared by worker threads that reports the running total at most ten times a
/// second, outside its lock. Used by verify and extract, whose entries finish on many threads.
final class ByteProgress: @unchecked Sendable {
    private let lock = ConditionLock()
    private let report: (@Sendable (UInt64) -> Void)?
    private var lastReport = 0.0
    private var count: UInt64 = 0

    init(report: (@Sendable (UInt64) -> Void)?) { self.report = report }

    /// Bytes counted so far.
    var total: UInt64 { lock.withLock { count } }

    func add(_ bytes: UInt64) {
        lock.lock()
        count += bytes
        var isDue = false
        if report != nil {
            let now = SystemTime.monotonic()
            if now - lastReport >= 0.1 {
                lastReport = now
                isDue = true
            }
        }
        let done = count
        lock.unlock()
        if isDue { report?(done) }
    }
}
