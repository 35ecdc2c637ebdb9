import PacaSystem

/// Keeps the reads of a background job (a scrub) at or under a rate, and lets another thread stop
/// them. Shared by the threads that read; each reports the bytes it read and sleeps as long as it
/// takes to bring the average since the first read back to the rate.
public final class ReadPacer: @unchecked Sendable {
    /// Bytes per second; 0 reads as fast as the disk allows.
    public let bytesPerSecond: UInt64
    private let lock = ConditionLock()
    private var startedAt: Double?
    private var total: UInt64 = 0
    private var stopped = false

    public init(bytesPerSecond: UInt64) { self.bytesPerSecond = bytesPerSecond }

    /// Stops the reads: the next ``take(_:)`` returns false.
    public func stop() { lock.withLock { stopped = true } }

    public var isStopped: Bool { lock.withLock { stopped } }

    /// Bytes counted so far.
    public var bytesRead: UInt64 { lock.withLock { total } }

    /// Counts `bytes` just read and waits until reading them keeps to the rate. False once
    /// ``stop()`` was called (the reader should give up).
    @discardableResult
    public func take(_ bytes: Int) -> Bool {
        let wait: Double = lock.withLock {
            let now = SystemTime.monotonic()
            if startedAt == nil { startedAt = now }
            total += UInt64(bytes)
            guard bytesPerSecond > 0, let startedAt else { return 0 }
            return startedAt + Double(total) / Double(bytesPerSecond) - now
        }
        var left = wait
        // In slices, so a stop is noticed within a fifth of a second.
        while left > 0 && !isStopped {
            SystemThread.sleep(seconds: min(left, 0.2))
            left -= 0.2
        }
        return !isStopped
    }
}
