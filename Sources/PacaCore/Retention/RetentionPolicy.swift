/// Which backups of a set (on one target) to keep, with restic's `forget` semantics:
///
/// * `keepLast N`: the N newest backups.
/// * `keepHourly N` (and daily, weekly, monthly, yearly): going from the newest backward, the
///   newest backup of each of the last N hours (days, ISO weeks, months, years) that *have* a
///   backup; hours without one do not count. Periods are read in the daemon's time zone.
/// * `keepWithin D`: every backup made within D seconds before the *newest* backup (not before
///   now, so a machine that stopped backing up does not lose everything when the window passes).
/// * `keepTagged`: backups a user pinned.
/// * `keepBest`: the `count` backups with the best value of a metric (checkpoint captures; the
///   lowest `eval_loss`, the highest `accuracy`), ties to the newer. A backup whose copy has not
///   been read back (``Item/isVerified``) is kept when it ranks among them but does not count,
///   so the previous best stays until the new one is delivered and verified.
/// * Always: the newest complete backup, whatever the policy says.
///
/// A backup is kept when any rule keeps it; ``Decision/reasons`` says which. A count of `-1`
/// means unlimited (every period). Only complete backups are counted and kept by the rules;
/// the policy never keeps an incomplete one (the caller decides what happens to those).
/// A policy with no rule at all keeps everything.
public struct RetentionPolicy: Sendable, Equatable {
    public var keepLast = 0
    public var keepHourly = 0
    public var keepDaily = 0
    public var keepWeekly = 0
    public var keepMonthly = 0
    public var keepYearly = 0
    /// Seconds before the newest backup.
    public var keepWithin: Int64 = 0
    public var keepTagged = true
    public var keepBest: Best?

    /// `keep_best: {metric, mode, count}`.
    public struct Best: Sendable, Equatable {
        public var metric: String
        /// True when higher is better (`mode: max`).
        public var isHigherBetter: Bool
        public var count: Int
        public init(metric: String, isHigherBetter: Bool, count: Int) {
            (self.metric, self.isHigherBetter, self.count) = (metric, isHigherBetter, count)
        }
    }

    public init(
        keepLast: Int = 0, keepHourly: Int = 0, keepDaily: Int = 0, keepWeekly: Int = 0, keepMonthly: Int = 0, keepYearly: Int = 0,
        keepWithin: Int64 = 0, keepTagged: Bool = true, keepBest: Best? = nil
    ) {
        self.keepLast = keepLast
        self.keepHourly = keepHourly
        self.keepDaily = keepDaily
        self.keepWeekly = keepWeekly
        self.keepMonthly = keepMonthly
        self.keepYearly = keepYearly
        self.keepWithin = keepWithin
        self.keepTagged = keepTagged
        self.keepBest = keepBest
    }

    /// True when no rule is set: nothing is ever pruned.
    public var keepsEverything: Bool {
        keepLast == 0 && keepHourly == 0 && keepDaily == 0 && keepWeekly == 0 && keepMonthly == 0 && keepYearly == 0 && keepWithin == 0
            && keepBest == nil
    }

    /// A backup as the policy sees it.
    public struct Item: Sendable, Equatable {
        public var id: String
        /// Unix seconds when the backup was taken.
        public var time: Int64
        public var isComplete: Bool
        public var isPinned: Bool
        /// The order the backups were taken in (higher is newer), whatever their stamps say;
        /// items of equal order are ordered by time.
        public var order: Int64
        /// The value of ``keepBest``'s metric on this backup, when it has one.
        public var metric: Double?
        /// Whether this copy was read back and found as written (what lets it displace a best).
        public var isVerified: Bool

        public init(
            id: String, time: Int64, isComplete: Bool = true, isPinned: Bool = false, order: Int64 = 0, metric: Double? = nil,
            isVerified: Bool = true
        ) {
            (self.id, self.time, self.isComplete, self.isPinned, self.order) = (id, time, isComplete, isPinned, order)
            (self.metric, self.isVerified) = (metric, isVerified)
        }
    }

    public enum Reason: String, Sendable, Hashable, Comparable {
        case newest, last, hourly, daily, weekly, monthly, yearly, within, best, pinned

        public static func < (a: Reason, b: Reason) -> Bool { a.rank < b.rank }
        private var rank: Int {
            switch self {
            case .newest: 0
            case .last: 1
            case .hourly: 2
            case .daily: 3
            case .weekly: 4
            case .monthly: 5
            case .yearly: 6
            case .within: 7
            case .best: 8
            case .pinned: 9
            }
        }
    }

    public struct Decision: Sendable, Equatable {
        public var id: String
        /// Why it is kept; empty when it goes.
        public var reasons: [Reason]
        public var keep: Bool { !reasons.isEmpty }

        public init(id: String, reasons: [Reason]) {
            self.id = id
            self.reasons = reasons
        }
    }

    /// The decision for each item, newest first.
    ///
    /// Newest means taken last (``Item/order``), not stamped last: a backup stamped in the
    /// future by a bad clock is read as no newer than the one taken after it, and no stamp as
    /// later than `now`, so such a backup cannot make the policy see the others as old and
    /// prune them.
    public func apply(to items: [Item], zone: ZoneRules = .utc, now: Int64? = nil) -> [Decision] {
        let sorted = items.sorted {
            $0.order != $1.order ? $0.order > $1.order : $0.time != $1.time ? $0.time > $1.time : $0.id > $1.id
        }
        var ordered: [Item] = []
        var ceiling = now ?? Int64.max
        for var item in sorted {
            item.time = min(item.time, ceiling)
            ceiling = item.time
            ordered.append(item)
        }
        let complete = ordered.filter(\.isComplete)
        var reasons: [String: Set<Reason>] = [:]
        if keepsEverything {
            for item in complete { reasons[item.id, default: []].insert(.last) }
        }
        if let newest = complete.first {
            reasons[newest.id, default: []].insert(.newest)
            if keepWithin > 0 {
                for item in complete where newest.time - item.time <= keepWithin { reasons[item.id, default: []].insert(.within) }
            }
        }
        if keepTagged {
            for item in complete where item.isPinned { reasons[item.id, default: []].insert(.pinned) }
        }
        if let best = keepBest {
            // complete is newest first, and the sort is stable: equal values keep the newer first.
            let ranked = complete.filter { $0.metric != nil }.sorted {
                best.isHigherBetter ? $0.metric! > $1.metric! : $0.metric! < $1.metric!
            }
            var counted = 0
            for item in ranked where counted < best.count {
                reasons[item.id, default: []].insert(.best)
                if item.isVerified { counted += 1 }
            }
        }
        let rules: [(Reason, Int, (CivilTime, Int64) -> Int64)] = [
            (.last, keepLast, { _, index in index }),
            (.hourly, keepHourly, { civil, _ in Int64(Self.dayNumber(civil)) * 24 + Int64(civil.hour) }),
            (.daily, keepDaily, { civil, _ in Int64(Self.dayNumber(civil)) }),
            (.weekly, keepWeekly, { civil, _ in Self.isoWeek(civil) }),
            (.monthly, keepMonthly, { civil, _ in Int64(civil.year * 12 + civil.month) }),
            (.yearly, keepYearly, { civil, _ in Int64(civil.year) }),
        ]
        for (reason, count, bucket) in rules where count != 0 {
            var remaining = count
            var lastBucket: Int64?
            for (index, item) in complete.enumerated() {
                if remaining == 0 { break }
                let local = CivilTime(unixSeconds: item.time + Int64(zone.offset(at: item.time)))
                let key = bucket(local, Int64(index))
                if key != lastBucket {
                    reasons[item.id, default: []].insert(reason)
                    lastBucket = key
                    if remaining > 0 { remaining -= 1 }
                }
            }
        }
        return ordered.map { Decision(id: $0.id, reasons: (reasons[$0.id] ?? []).sorted()) }
    }

    /// Days since 1970-01-01 of a civil date.
    static func dayNumber(_ civil: CivilTime) -> Int {
        Int(CivilTime(year: civil.year, month: civil.month, day: civil.day).unixSeconds / 86_400)
    }

    /// ISO 8601 week as year * 100 + week: weeks start on Monday and belong to the year of their Thursday.
    static func isoWeek(_ civil: CivilTime) -> Int64 {
        let day = dayNumber(civil)
        let weekday = ((day + 3) % 7 + 7) % 7  // 0 = Monday (1970-01-01 was a Thursday)
        let thursday = day - weekday + 3
        let thursdayDate = CivilTime(unixSeconds: Int64(thursday) * 86_400)
        let firstOfYear = dayNumber(CivilTime(year: thursdayDate.year, month: 1, day: 1))
        return Int64(thursdayDate.year) * 100 + Int64((thursday - firstOfYear) / 7 + 1)
    }
}
