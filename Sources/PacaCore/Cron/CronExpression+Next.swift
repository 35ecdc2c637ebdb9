extension CronExpression {
    /// The first instant strictly after `instant` (Unix seconds) at which the expression fires in
    /// `zone`, or nil when it never fires (see ``neverReason``).
    ///
    /// Times are matched in the zone's local time. A local time that does not exist (the hour
    /// skipped when clocks spring forward) fires once, at the instant the gap ends; a local time
    /// that exists twice (the hour repeated when clocks fall back) fires once, at its first
    /// occurrence. So no fire is lost and none is doubled across a change of offset.
    public func nextFire(after instant: Int64, in zone: ZoneRules = .utc) -> Int64? {
        guard neverReason == nil else { return nil }
        let local = instant + Int64(zone.offset(at: instant))
        var candidate = local.floorDiv(60) * 60 + 60
        // Each pass either returns or moves `candidate` past a consumed local minute, and a
        // matching day exists within any eight years (29 February is the rarest), so this ends.
        for _ in 0..<64 {
            guard let match = nextLocalMatch(atOrAfter: candidate) else { return nil }
            switch zone.instants(forLocal: match) {
            case .unique(let at) where at > instant: return at
            case .repeated(let first, _) where first > instant: return first
            case .skipped(let gapEnd) where gapEnd > instant: return gapEnd
            default: candidate = match + 60
            }
        }
        return nil
    }

    /// The next `count` fire times after `instant`, fewer when the expression stops firing.
    public func nextFires(after instant: Int64, count: Int, in zone: ZoneRules = .utc) -> [Int64] {
        var result: [Int64] = []
        var current = instant
        while result.count < count, let next = nextFire(after: current, in: zone) {
            result.append(next)
            current = next
        }
        return result
    }

    /// The first local time (seconds since the epoch, as if the zone were UTC) at or after `local`
    /// that the fields match, searching at most nine years ahead.
    func nextLocalMatch(atOrAfter local: Int64) -> Int64? {
        var days = local.floorDiv(86_400)
        var minuteOfDay = Int((local - days * 86_400) / 60)
        var searched = 0
        while searched < 366 * 9 {
            let date = CivilDate(days: days)
            if months & (1 << UInt64(date.month)) == 0 {
                let next = CivilDate.firstOfNextMonth(year: date.year, month: date.month)
                searched += Int(next - days)
                days = next
                minuteOfDay = 0
                continue
            }
            if matchesDay(year: date.year, month: date.month, day: date.day, weekday: CivilDate.weekday(days: days)),
                let minute = firstMinute(atOrAfter: minuteOfDay)
            {
                return days * 86_400 + Int64(minute) * 60
            }
            days += 1
            searched += 1
            minuteOfDay = 0
        }
        return nil
    }

    /// The first allowed minute of the day at or after `minuteOfDay`, or nil.
    private func firstMinute(atOrAfter minuteOfDay: Int) -> Int? {
        var hour = minuteOfDay / 60
        var minute = minuteOfDay % 60
        while hour < 24 {
            let hoursLeft = hours & ~((UInt64(1) << UInt64(hour)) - 1)
            guard hoursLeft != 0 else { return nil }
            let nextHour = hoursLeft.trailingZeroBitCount
            if nextHour != hour { minute = 0 }
            let minutesLeft = minutes & ~((UInt64(1) << UInt64(minute)) - 1)
            if minutesLeft != 0 { return nextHour * 60 + minutesLeft.trailingZeroBitCount }
            hour = nextHour + 1
            minute = 0
        }
        return nil
    }
}

/// A proleptic Gregorian date from a day count since 1970-01-01 (Howard Hinnant's algorithms),
/// for the scheduler's inner loop: no allocation, no time zone database.
struct CivilDate {
    var year: Int
    var month: Int
    var day: Int

    init(days: Int64) {
        let civil = CivilTime(unixSeconds: days * 86_400)
        year = civil.year
        month = civil.month
        day = civil.day
    }

    /// 0 Sunday ... 6 Saturday.
    static func weekday(days: Int64) -> Int {
        Int((days + 4).floorModulo(7))
    }

    static func days(year: Int, month: Int, day: Int) -> Int64 {
        CivilTime(year: year, month: month, day: day).unixSeconds / 86_400
    }

    static func firstOfNextMonth(year: Int, month: Int) -> Int64 {
        month == 12 ? days(year: year + 1, month: 1, day: 1) : days(year: year, month: month + 1, day: 1)
    }

    static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    static func daysInMonth(year: Int, month: Int) -> Int {
        [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    }
}

extension Int64 {
    /// The remainder of `floorDiv`, always in `0..<divisor` for a positive divisor.
    func floorModulo(_ divisor: Int64) -> Int64 { self - floorDiv(divisor) * divisor }
}
