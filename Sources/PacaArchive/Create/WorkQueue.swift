import PacaSystem

/// The hand-off between the reader, the compressor threads and the writer.
///
/// Units get sequence numbers as the reader submits them; compressors take any unit that needs
/// work; the writer takes units strictly in sequence. At most `capacity` units holding at most
/// `byteLimit` input bytes are in flight (a unit may always enter an empty queue), which is what
/// bounds memory: about twice `byteLimit` with the compressed copies, whatever the corpus. Many
/// small files can be in flight at once, so one slow piece at the head does not idle the
/// compressors. The first error (or a cancellation) stops every side.
///
/// Each side waits on its own condition and is woken only when it can proceed, which keeps
/// context switches low with tens of thousands of small files.
final class WorkQueue: @unchecked Sendable {
    private let lock = ConditionLock(conditions: 3)
    private static let space = 0
    private static let work = 1
    private static let ready = 2
    private let capacity: Int
    private let byteLimit: Int
    private var bytesInFlight = 0
    private var slots: [WorkUnit?]
    private var done: [Bool]
    private var nextSubmit = 0
    private var nextWrite = 0
    private var waiting: [Int] = []
    private var waitingHead = 0
    private var isClosed = false
    private var failure: ArchiveError?

    init(capacity: Int, byteLimit: Int) {
        self.capacity = capacity
        self.byteLimit = byteLimit
        slots = Array(repeating: nil, count: capacity)
        done = Array(repeating: false, count: capacity)
    }

    private func isFull(adding bytes: Int) -> Bool {
        let count = nextSubmit - nextWrite
        return count >= capacity || (count > 0 && bytesInFlight + bytes > byteLimit)
    }

    private func wakeEveryone() {
        lock.broadcast(Self.space)
        lock.broadcast(Self.work)
        lock.broadcast(Self.ready)
    }

    /// Adds a unit, blocking while the queue is full. Throws once the pipeline has failed.
    func submit(_ unit: WorkUnit) throws(ArchiveError) {
        lock.lock()
        defer { lock.unlock() }
        while isFull(adding: unit.input.count) && failure == nil { lock.wait(Self.space) }
        if let failure { throw failure }
        bytesInFlight += unit.input.count
        let sequence = nextSubmit
        slots[sequence % capacity] = unit
        done[sequence % capacity] = !unit.needsWork
        nextSubmit += 1
        if unit.needsWork {
            waiting.append(sequence)
            lock.signal(Self.work)
        } else if sequence == nextWrite {
            lock.signal(Self.ready)
        }
    }

    /// Marks the end of input: compressors exit and the writer stops after the last unit.
    func close() {
        lock.withLock {
            isClosed = true
            wakeEveryone()
        }
    }

    /// Stops the pipeline with `error`; the first error wins.
    func fail(_ error: ArchiveError) {
        lock.withLock {
            if failure == nil { failure = error }
            wakeEveryone()
        }
    }

    /// For compressors: the next unit needing work, or nil when there will be none.
    func takeWork() -> (Int, WorkUnit)? {
        lock.lock()
        defer { lock.unlock() }
        while true {
            if failure != nil { return nil }
            if waitingHead < waiting.count {
                let sequence = waiting[waitingHead]
                waitingHead += 1
                if waitingHead > 1024 {
                    waiting.removeFirst(waitingHead)
                    waitingHead = 0
                }
                return (sequence, slots[sequence % capacity]!)
            }
            if isClosed { return nil }
            lock.wait(Self.work)
        }
    }

    /// For compressors: the unit with `sequence` is ready to be written.
    func finish(_ sequence: Int) {
        lock.withLock {
            done[sequence % capacity] = true
            if sequence == nextWrite { lock.signal(Self.ready) }
        }
    }

    /// For the writer: the next unit in sequence once it is ready, or nil at the end. Throws the
    /// pipeline's failure.
    func nextReady() throws(ArchiveError) -> WorkUnit? {
        lock.lock()
        defer { lock.unlock() }
        while true {
            if let failure { throw failure }
            let slot = nextWrite % capacity
            if nextWrite < nextSubmit && done[slot] {
                let unit = slots[slot]!
                slots[slot] = nil
                nextWrite += 1
                bytesInFlight -= unit.input.count
                lock.signal(Self.space)
                return unit
            }
            if isClosed && nextWrite == nextSubmit { return nil }
            lock.wait(Self.ready)
        }
    }
}
