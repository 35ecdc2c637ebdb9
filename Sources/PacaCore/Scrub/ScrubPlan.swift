/// Which copies on a target a scheduled scrub reads: every copy at least once per period, with
/// the work spread over the period instead of falling due all at once (after an upgrade, or on a
/// target that took a year of backups in one copy).
///
/// A copy is due once its last check (or, never checked, its delivery) is `period` old. Each pass
/// (every `interval`) reads due copies oldest first, up to twice the pass's even share of the
/// target's bytes (and always at least one copy): a backlog drains within half a period, while
/// copies falling due at the steady rate are read as they fall due.
public struct ScrubPlan: Sendable, Equatable {
    /// One copy of a backup on the target.
    public struct Copy: Sendable, Equatable {
        public var id: String
        /// When it was last read back and found good, or delivered when never; Unix seconds.
        public var checkedAt: Int64
        public var bytes: UInt64

        public init(id: String, checkedAt: Int64, bytes: UInt64) {
            self.id = id
            self.checkedAt = checkedAt
            self.bytes = bytes
        }
    }

    /// Longest time a copy goes unchecked, seconds.
    public var period: Int64
    /// Time between passes, seconds.
    public var interval: Int64

    public init(period: Int64, interval: Int64) {
        self.period = max(1, period)
        self.interval = max(1, interval)
    }

    /// The ids of the copies to read in a pass at `now`, in the order to read them.
    public func due(_ copies: [Copy], now: Int64) -> [String] {
        let total = copies.reduce(UInt64(0)) { $0 + $1.bytes }
        let share = Self.share(of: total, interval: interval, period: period)
        var chosen: [String] = []
        var taken: UInt64 = 0
        for copy in copies.sorted(by: { ($0.checkedAt, $0.id) < ($1.checkedAt, $1.id) }) {
            guard now - copy.checkedAt >= period else { break }
            guard chosen.isEmpty || taken < share else { break }
            chosen.append(copy.id)
            taken += copy.bytes
        }
        return chosen
    }

    /// Twice `total × interval / period`, rounded up, without overflow.
    static func share(of total: UInt64, interval: Int64, period: Int64) -> UInt64 {
        let (product, overflow) = total.multipliedReportingOverflow(by: UInt64(interval) * 2)
        if overflow { return total / UInt64(period) * UInt64(interval) * 2 }
        return (product + UInt64(period) - 1) / UInt64(period)
    }

    /// The age of the copy checked longest ago, seconds (0 without copies).
    public static func oldestCheck(_ copies: [Copy], now: Int64) -> Int64 {
        copies.map { max(0, now - $0.checkedAt) }.max() ?? 0
    }
}
