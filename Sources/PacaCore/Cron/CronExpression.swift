/// A parsed cron expression: five fields (minute hour day-of-month month day-of-week) with `*`,
/// numbers, ranges, steps, lists and names, the `@daily`-style macros, and an optional
/// `CRON_TZ=Area/City ` prefix naming the zone its times are in.
///
/// Day matching follows Vixie cron: when both day-of-month and day-of-week are restricted (neither
/// starts with `*`), a day matches if **either** matches (`0 0 1 * mon` is the 1st and every
/// Monday); otherwise both must, with `*` matching everything.
///
/// ```swift
/// let nightly = try CronExpression("CRON_TZ=Europe/Berlin 0 2 * * *")
/// nightly.timeZone   // "Europe/Berlin"
/// ```
public struct CronExpression: Sendable, Hashable, CustomStringConvertible {
    /// The text as given.
    public let text: String
    /// The zone named by a `CRON_TZ=` prefix; nil means the daemon's own zone.
    public let timeZone: String?
    let minutes: UInt64
    let hours: UInt64
    let daysOfMonth: UInt64
    let months: UInt64
    let daysOfWeek: UInt64
    /// Day-of-month or day-of-week began with `*` (Vixie's DOM_STAR / DOW_STAR).
    let isDayOfMonthStar: Bool
    let isDayOfWeekStar: Bool
    /// Why the expression can never fire, or nil when it can: only day-of-month can rule out
    /// every day (`0 0 31 2 *`, `0 0 30 2 *`), since day-of-week alone matches every week.
    public let neverReason: String?

    static let macros: [String: String] = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]

    public init(_ text: String) throws(CronError) {
        self.text = text
        var rest = Substring(text).drop { $0 == " " || $0 == "\t" }
        var zone: String?
        if rest.hasPrefix("CRON_TZ=") {
            let end = rest.firstIndex { $0 == " " || $0 == "\t" } ?? rest.endIndex
            let name = rest[rest.index(rest.startIndex, offsetBy: 8)..<end]
            guard ZoneName.isValid(name) else {
                throw CronError(field: nil, token: String(name), reason: "is not a time zone name like Europe/Berlin or UTC")
            }
            zone = String(name)
            rest = rest[end...].drop { $0 == " " || $0 == "\t" }
        }
        timeZone = zone
        var body = String(rest)
        while body.last == " " || body.last == "\t" { body.removeLast() }
        if body.hasPrefix("@") {
            guard let expansion = Self.macros[body.lowercased()] else {
                throw CronError(
                    field: nil, token: body, reason: "is not a macro; use one of \(Self.macros.keys.sorted().joined(separator: " "))")
            }
            body = expansion
        }
        let fields = body.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard fields.count == 5 else {
            throw CronError(
                field: nil, token: "",
                reason: "expected 5 fields (minute hour day-of-month month day-of-week), found \(fields.count) in \"\(body)\"")
        }
        minutes = try CronFieldSpec.minute.parse(fields[0])
        hours = try CronFieldSpec.hour.parse(fields[1])
        daysOfMonth = try CronFieldSpec.dayOfMonth.parse(fields[2])
        months = try CronFieldSpec.month.parse(fields[3])
        daysOfWeek = try CronFieldSpec.dayOfWeek.parse(fields[4])
        isDayOfMonthStar = fields[2].hasPrefix("*")
        isDayOfWeekStar = fields[4].hasPrefix("*")
        neverReason = Self.neverReason(months: months, daysOfMonth: daysOfMonth, daysOfWeekRestrict: !isDayOfWeekStar && daysOfWeek != 0)
    }

    public var description: String { text }

    /// True when the day `civil` (its year, month and day) is one the expression fires on.
    func matchesDay(year: Int, month: Int, day: Int, weekday: Int) -> Bool {
        guard months & (1 << UInt64(month)) != 0 else { return false }
        let domMatch = daysOfMonth & (1 << UInt64(day)) != 0
        let dowMatch = daysOfWeek & (1 << UInt64(weekday)) != 0
        if isDayOfMonthStar || isDayOfWeekStar { return domMatch && dowMatch }
        return domMatch || dowMatch
    }

    private static func neverReason(months: UInt64, daysOfMonth: UInt64, daysOfWeekRestrict: Bool) -> String? {
        // With day-of-week restricted and day-of-month restricted too, the OR rule fires weekly.
        guard !daysOfWeekRestrict else { return nil }
        let longest = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        for month in 1...12 where months & (1 << UInt64(month)) != 0 {
            for day in 1...longest[month] where daysOfMonth & (1 << UInt64(day)) != 0 { return nil }
        }
        return "no allowed month has any of the allowed days of the month"
    }
}

/// What a zone name may look like: `UTC`, `Europe/Berlin`, `America/Argentina/Buenos_Aires`,
/// `Etc/GMT+5`. Letters, digits, `_`, `-`, `+` and `/` between parts; never `..` or a leading `/`,
/// so a name can safely become a path under the zone database.
public enum ZoneName {
    public static func isValid(_ name: Substring) -> Bool {
        guard !name.isEmpty, name.count <= 64, !name.hasPrefix("/"), !name.hasSuffix("/") else { return false }
        for part in name.split(separator: "/", omittingEmptySubsequences: false) {
            guard !part.isEmpty, part != ".", part != "..", part.first != "-" else { return false }
            guard part.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "+") }) else {
                return false
            }
        }
        return true
    }
}
