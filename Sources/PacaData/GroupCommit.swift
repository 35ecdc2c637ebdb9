import PacaSystem
import Synchronization

/// Makes many concurrent durable writes cost one sync between them: callers hand in work and wait;
/// one pool thread at a time takes every waiting item and passes them to `commit` together (one
/// write and one fsync for the file store, one transaction for SQLite), then answers each caller.
/// Order is kept: items commit in the order they were submitted.
final class GroupCommit<Item: Sendable, Answer: Sendable>: Sendable {
    private struct Pending {
        var items: [(Item, CheckedContinuation<Answer, Never>)] = []
        var isFlushing = false
    }

    private let pending = Mutex(Pending())
    private let pool: BlockingPool
    private let commit: @Sendable ([Item]) -> [Answer]

    /// `commit` runs on a thread of `pool` and returns one answer per item, in order.
    init(pool: BlockingPool = .shared, commit: @escaping @Sendable ([Item]) -> [Answer]) {
        self.pool = pool
        self.commit = commit
    }

    func submit(_ item: Item) async -> Answer {
        await withCheckedContinuation { continuation in
            let startFlush = pending.withLock { state -> Bool in
                state.items.append((item, continuation))
                guard !state.isFlushing else { return false }
                state.isFlushing = true
                return true
            }
            if startFlush { pool.execute { self.flush() } }
        }
    }

    private func flush() {
        while true {
            let batch = pending.withLock { state -> [(Item, CheckedContinuation<Answer, Never>)] in
                defer { state.items.removeAll(keepingCapacity: true) }
                if state.items.isEmpty { state.isFlushing = false }
                return state.items
            }
            guard !batch.isEmpty else { return }
            let answers = commit(batch.map(\.0))
            for (index, waiter) in batch.enumerated() { waiter.1.resume(returning: answers[index]) }
        }
    }
}
