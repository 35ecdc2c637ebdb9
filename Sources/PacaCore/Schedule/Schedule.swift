/// When a job runs: on a cron expression, or every fixed interval anchored to its previous slot.
public enum Schedule: Sendable, Hashable {
    case cron(CronExpression)
    /// Every this many seconds.
    case every(Int64)

    /// The first slot strictly after `instant` for a schedule whose previous slot was `previous`
    /// (intervals count from the previous slot, so a restart does not reset the cadence).
    func slot(after instant: Int64, previous: Int64?, in zone: ZoneRules) -> Int64? {
        switch self {
        case .cron(let expression):
            return expression.nextFire(after: instant, in: zone)
        case .every(let interval):
            guard let previous else { return instant + interval }
            if previous + interval > instant { return previous + interval }
            // Slots passed while nothing ran: the first one after `instant` on the same grid.
            let missed = (instant - previous) / interval + 1
            return previous + missed * interval
        }
    }

    /// How many slots fell in `(from, to]`, counted up to `limit`.
    func slots(between from: Int64, and to: Int64, previous: Int64?, in zone: ZoneRules, limit: Int = 1000) -> Int {
        var count = 0
        var current = from
        var last = previous
        while count < limit, let next = slot(after: current, previous: last, in: zone), next <= to {
            count += 1
            current = next
            last = next
        }
        return count
    }

    /// The text of the schedule: the cron expression, or `every 6h`.
    public var description: String {
        switch self {
        case .cron(let expression): expression.text
        case .every(let interval): "every \(DurationText.format(interval))"
        }
    }
}
