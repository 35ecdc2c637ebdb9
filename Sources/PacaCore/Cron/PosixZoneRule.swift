/// A POSIX TZ rule such as `CET-1CEST,M3.5.0,M10.5.0/3` (the footer of a TZif file, or a `TZ`
/// environment value): a standard offset and, optionally, a daylight offset with the dates and
/// times it starts and ends each year. Offsets are stored as seconds east of UTC (POSIX writes
/// them west, with the sign inverted).
struct PosixZoneRule: Sendable, Hashable {
    enum DateRule: Sendable, Hashable {
        /// `Jn`: day 1-365, February 29 never counted.
        case julianNoLeap(Int)
        /// `n`: day 0-365, counting February 29 in leap years.
        case zeroBased(Int)
        /// `Mm.w.d`: day `d` (0 Sunday) of week `w` (1-4, 5 the last) of month `m`.
        case monthWeekDay(month: Int, week: Int, weekday: Int)
    }

    struct Daylight: Sendable, Hashable {
        var offset: Int32
        var start: DateRule
        var startTime: Int32
        var end: DateRule
        var endTime: Int32
    }

    var standardOffset: Int32
    var daylight: Daylight?

    /// Parses a TZ rule; nil when it is not one.
    init?(_ text: String) {
        var scanner = Scanner(Array(text.utf8))
        guard scanner.skipName(), let standard = scanner.offset() else { return nil }
        standardOffset = -standard
        if scanner.isAtEnd {
            daylight = nil
            return
        }
        guard scanner.skipName() else { return nil }
        var daylightOffset = standardOffset + 3600
        if let explicit = scanner.offset() { daylightOffset = -explicit }
        // Without a rule, US rules are the POSIX default; tzdata always writes the rule.
        var start = DateRule.monthWeekDay(month: 3, week: 2, weekday: 0)
        var end = DateRule.monthWeekDay(month: 11, week: 1, weekday: 0)
        var startTime: Int32 = 7200
        var endTime: Int32 = 7200
        if scanner.consume(UInt8(ascii: ",")) {
            guard let s = scanner.dateRule() else { return nil }
            start = s
            if scanner.consume(UInt8(ascii: "/")) {
                guard let time = scanner.time() else { return nil }
                startTime = time
            }
            guard scanner.consume(UInt8(ascii: ",")), let e = scanner.dateRule() else { return nil }
            end = e
            if scanner.consume(UInt8(ascii: "/")) {
                guard let time = scanner.time() else { return nil }
                endTime = time
            }
        }
        guard scanner.isAtEnd else { return nil }
        daylight = Daylight(offset: daylightOffset, start: start, startTime: startTime, end: end, endTime: endTime)
    }

    func offset(at instant: Int64) -> Int32 {
        guard let daylight else { return standardOffset }
        let year = CivilTime(unixSeconds: instant + Int64(standardOffset)).year
        let (start, end) = changes(in: year, daylight)
        let isDaylight = start < end ? (instant >= start && instant < end) : (instant < end || instant >= start)
        return isDaylight ? daylight.offset : standardOffset
    }

    func nextChange(after instant: Int64) -> Int64? {
        guard let daylight else { return nil }
        let year = CivilTime(unixSeconds: instant).year
        var candidates: [Int64] = []
        for y in (year - 1)...(year + 1) {
            let (start, end) = changes(in: y, daylight)
            candidates += [start, end]
        }
        return candidates.filter { $0 > instant }.min()
    }

    /// The instants daylight time starts and ends in `year`.
    private func changes(in year: Int, _ daylight: Daylight) -> (start: Int64, end: Int64) {
        let start = Self.day(daylight.start, year: year) * 86_400 + Int64(daylight.startTime) - Int64(standardOffset)
        let end = Self.day(daylight.end, year: year) * 86_400 + Int64(daylight.endTime) - Int64(daylight.offset)
        return (start, end)
    }

    /// The day (since 1970-01-01) a date rule names in `year`.
    static func day(_ rule: DateRule, year: Int) -> Int64 {
        let january1 = CivilDate.days(year: year, month: 1, day: 1)
        switch rule {
        case .julianNoLeap(let n):
            let afterFebruary = n >= 60 && CivilDate.isLeap(year)
            return january1 + Int64(n - 1) + (afterFebruary ? 1 : 0)
        case .zeroBased(let n):
            return january1 + Int64(n)
        case .monthWeekDay(let month, let week, let weekday):
            let first = CivilDate.days(year: year, month: month, day: 1)
            let firstWeekday = CivilDate.weekday(days: first)
            var day = first + Int64((weekday - firstWeekday + 7) % 7) + Int64(week - 1) * 7
            let length = Int64(CivilDate.daysInMonth(year: year, month: month))
            while day >= first + length { day -= 7 }
            return day
        }
    }

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var isAtEnd: Bool { index == bytes.count }

        mutating func consume(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        /// A zone abbreviation: three or more letters, or `<...>`.
        mutating func skipName() -> Bool {
            if consume(UInt8(ascii: "<")) {
                while index < bytes.count, bytes[index] != UInt8(ascii: ">") { index += 1 }
                return consume(UInt8(ascii: ">"))
            }
            let start = index
            while index < bytes.count, (bytes[index] | 0x20) >= UInt8(ascii: "a"), (bytes[index] | 0x20) <= UInt8(ascii: "z") { index += 1 }
            return index - start >= 3
        }

        mutating func number() -> Int? {
            let start = index
            var value = 0
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                value = value * 10 + Int(bytes[index] - UInt8(ascii: "0"))
                index += 1
            }
            return index > start ? value : nil
        }

        /// `[+-]hh[:mm[:ss]]` in seconds, as written (west positive).
        mutating func time() -> Int32? {
            var sign: Int32 = 1
            if consume(UInt8(ascii: "-")) { sign = -1 } else { _ = consume(UInt8(ascii: "+")) }
            guard let hours = number(), hours <= 167 else { return nil }
            var seconds = Int32(hours) * 3600
            if consume(UInt8(ascii: ":")) {
                guard let minutes = number(), minutes < 60 else { return nil }
                seconds += Int32(minutes) * 60
                if consume(UInt8(ascii: ":")) {
                    guard let secs = number(), secs < 60 else { return nil }
                    seconds += Int32(secs)
                }
            }
            return sign * seconds
        }

        mutating func offset() -> Int32? {
            guard index < bytes.count else { return nil }
            let byte = bytes[index]
            guard byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) else {
                return nil
            }
            return time()
        }

        mutating func dateRule() -> DateRule? {
            if consume(UInt8(ascii: "M")) {
                guard let month = number(), (1...12).contains(month), consume(UInt8(ascii: ".")), let week = number(),
                    (1...5).contains(week),
                    consume(UInt8(ascii: ".")), let weekday = number(), (0...6).contains(weekday)
                else { return nil }
                return .monthWeekDay(month: month, week: week, weekday: weekday)
            }
            if consume(UInt8(ascii: "J")) {
                guard let n = number(), (1...365).contains(n) else { return nil }
                return .julianNoLeap(n)
            }
            guard let n = number(), (0...365).contains(n) else { return nil }
            return .zeroBased(n)
        }
    }
}
