import Synchronization

/// The live counters of one running operation, written by its worker thread and read by status
/// requests without waiting on the engine. Also carries the cancel flag the worker polls.
public final class RunProgress: Sendable {
    /// A consistent reading of the counters.
    public struct Snapshot: Sendable, Equatable {
        public var files: Int = 0
        public var bytes: UInt64 = 0
        /// Bytes the operation expects to process in all; 0 until known.
        public var totalBytes: UInt64 = 0
        public var totalFiles: Int = 0

        /// Percent done, 0-100, from bytes; nil while the total is unknown.
        public var percent: Int? {
            guard totalBytes > 0 else { return nil }
            return Int(min(100, bytes * 100 / totalBytes))
        }
    }

    private let state = Mutex(Snapshot())
    private let cancelled = Atomic<Bool>(false)

    public init() {}

    public var snapshot: Snapshot { state.withLock { $0 } }

    public func setTotals(files: Int, bytes: UInt64) {
        state.withLock {
            $0.totalFiles = files
            $0.totalBytes = bytes
        }
    }

    public func update(files: Int, bytes: UInt64) {
        state.withLock {
            $0.files = files
            $0.bytes = bytes
        }
    }

    /// Asks the worker to stop at its next check; it removes what it wrote.
    public func cancel() { cancelled.store(true, ordering: .relaxed) }

    public var isCancelled: Bool { cancelled.load(ordering: .relaxed) }
}
