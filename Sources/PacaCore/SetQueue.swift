/// Decides what a backup request for a set does: start now, wait for the run in progress, or
/// share a follow-up run that is already waiting. Pure state; the engine acts on its answers.
///
/// At most one run per set is in progress and at most one backup of the set as it is waits behind
/// it, so a burst of requests (a config saved ten times, a training script started twice) makes
/// one more backup, not ten: the follow-up starts after the current run and sees every change
/// made before it starts. Checkpoint captures wait in line too, each its own backup.
public struct SetQueue: Sendable, Equatable {
    public enum Admission: Sendable, Equatable {
        /// Nothing runs for the set: run `ticket` now.
        case start(ticket: Int)
        /// A run is in progress: `ticket` is the follow-up that starts when it ends.
        case queued(ticket: Int)
        /// A follow-up is already waiting: this request shares `ticket`.
        case joined(ticket: Int)

        public var ticket: Int {
            switch self {
            case .start(let ticket), .queued(let ticket), .joined(let ticket): ticket
            }
        }
    }

    private var running: [String: Int] = [:]
    /// Tickets waiting per set, in the order they start; `shared` is the one later requests join.
    private var waiting: [String: [Int]] = [:]
    private var shared: [String: Int] = [:]
    private var nextTicket = 1

    public init() {}

    /// Admits a request for `set`. A `joinable` request (a backup of the set as it is) shares the
    /// follow-up already waiting; one that is not (a checkpoint capture, which backs up its own
    /// copy) always gets a ticket of its own, after those already waiting.
    public mutating func admit(set: String, joinable: Bool = true) -> Admission {
        if joinable, let ticket = shared[set] { return .joined(ticket: ticket) }
        let ticket = nextTicket
        nextTicket += 1
        if running[set] == nil {
            running[set] = ticket
            return .start(ticket: ticket)
        }
        waiting[set, default: []].append(ticket)
        if joinable { shared[set] = ticket }
        return .queued(ticket: ticket)
    }

    /// How many tickets of `set` wait that no later request can join (checkpoint captures).
    public func unsharedWaiting(for set: String) -> Int {
        (waiting[set] ?? []).filter { $0 != shared[set] }.count
    }

    /// The run for `set` ended; returns the waiting ticket that should start now, if any.
    public mutating func finish(set: String) -> Int? {
        running[set] = nil
        guard var queue = waiting[set], !queue.isEmpty else { return nil }
        let next = queue.removeFirst()
        waiting[set] = queue.isEmpty ? nil : queue
        if shared[set] == next { shared[set] = nil }
        running[set] = next
        return next
    }

    /// Drops every waiting ticket (the daemon is stopping) and returns them.
    public mutating func dropWaiting() -> [Int] {
        defer {
            waiting.removeAll()
            shared.removeAll()
        }
        return waiting.values.flatMap { $0 }.sorted()
    }

    public func runningTicket(for set: String) -> Int? { running[set] }
    /// The first ticket waiting for `set`.
    public func waitingTicket(for set: String) -> Int? { waiting[set]?.first }
    public var runningSets: [String] { running.keys.sorted() }
    public var waitingSets: [String] { waiting.keys.sorted() }
}
