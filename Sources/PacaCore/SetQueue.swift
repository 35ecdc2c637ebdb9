/// Decides what a backup request for a set does: start now, wait for the run in progress, or
/// share a follow-up run that is already waiting. Pure state; the engine acts on its answers.
///
/// At most one run per set is in progress and at most one waits behind it, so a burst of
/// requests (a config saved ten times, a training script started twice) makes one more backup,
/// not ten: the follow-up starts after the current run and sees every change made before it starts.
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
    private var waiting: [String: Int] = [:]
    private var nextTicket = 1

    public init() {}

    public mutating func admit(set: String) -> Admission {
        if let ticket = waiting[set] { return .joined(ticket: ticket) }
        let ticket = nextTicket
        nextTicket += 1
        if running[set] == nil {
            running[set] = ticket
            return .start(ticket: ticket)
        }
        waiting[set] = ticket
        return .queued(ticket: ticket)
    }

    /// The run for `set` ended; returns the waiting ticket that should start now, if any.
    public mutating func finish(set: String) -> Int? {
        running[set] = nil
        guard let next = waiting.removeValue(forKey: set) else { return nil }
        running[set] = next
        return next
    }

    /// Drops every waiting ticket (the daemon is stopping) and returns them.
    public mutating func dropWaiting() -> [Int] {
        defer { waiting.removeAll() }
        return waiting.values.sorted()
    }

    public func runningTicket(for set: String) -> Int? { running[set] }
    public func waitingTicket(for set: String) -> Int? { waiting[set] }
    public var runningSets: [String] { running.keys.sorted() }
    public var waitingSets: [String] { waiting.keys.sorted() }
}
