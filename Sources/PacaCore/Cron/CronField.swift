/// One of the five fields of a cron expression, with its range and names.
struct CronFieldSpec: Sendable {
    let name: String
    let range: ClosedRange<Int>
    /// Three-letter names (case-insensitive) mapped to values: months and weekdays.
    let names: [String: Int]

    static let minute = CronFieldSpec(name: "minute", range: 0...59, names: [:])
    static let hour = CronFieldSpec(name: "hour", range: 0...23, names: [:])
    static let dayOfMonth = CronFieldSpec(name: "day-of-month", range: 1...31, names: [:])
    static let month = CronFieldSpec(
        name: "month", range: 1...12,
        names: ["jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12])
    /// 0-7, where both 0 and 7 are Sunday.
    static let dayOfWeek = CronFieldSpec(
        name: "day-of-week", range: 0...7, names: ["sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6])

    /// Parses a field's text into a bit set of the values it allows (bit n = value n).
    func parse(_ text: Substring) throws(CronError) -> UInt64 {
        var bits: UInt64 = 0
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard !item.isEmpty else { throw CronError(field: name, token: String(text), reason: "has an empty item in its list") }
            bits |= try parseItem(item)
        }
        return bits
    }

    private func parseItem(_ item: Substring) throws(CronError) -> UInt64 {
        let parts = item.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        var step = 1
        if parts.count == 2 {
            guard let parsed = Int(parts[1]), parsed > 0 else {
                throw CronError(field: name, token: String(item), reason: "has a step that is not a positive number")
            }
            guard parsed <= range.count else {
                throw CronError(
                    field: name, token: String(item),
                    reason: "has a step larger than the field's range \(range.lowerBound)-\(range.upperBound)")
            }
            step = parsed
        }
        let base = parts[0]
        var low: Int
        var high: Int
        if base == "*" {
            low = range.lowerBound
            high = name == "day-of-week" ? 6 : range.upperBound
        } else if let dash = base.firstIndex(of: "-") {
            low = try value(base[..<dash], in: item)
            high = try value(base[base.index(after: dash)...], in: item)
            guard low <= high else {
                throw CronError(field: name, token: String(item), reason: "runs backwards; write the range from low to high")
            }
        } else {
            low = try value(base, in: item)
            // `5/15` means from 5 to the end of the range, every 15 (Vixie cron).
            high = parts.count == 2 ? (name == "day-of-week" ? 6 : range.upperBound) : low
        }
        var bits: UInt64 = 0
        var current = low
        while current <= high {
            bits |= 1 << UInt64(name == "day-of-week" && current == 7 ? 0 : current)
            current += step
        }
        return bits
    }

    private func value(_ text: Substring, in item: Substring) throws(CronError) -> Int {
        if let number = Int(text) {
            guard range.contains(number) else {
                throw CronError(field: name, token: String(text), reason: "is out of range \(range.lowerBound)-\(range.upperBound)")
            }
            return number
        }
        if let named = names[text.lowercased()] { return named }
        let expected =
            names.isEmpty
            ? "a number \(range.lowerBound)-\(range.upperBound)"
            : "a number \(range.lowerBound)-\(range.upperBound) or a name like \(names.sorted { $0.value < $1.value }.prefix(2).map(\.key).joined(separator: ", "))"
        throw CronError(field: name, token: text.isEmpty ? String(item) : String(text), reason: "is not \(expected)")
    }
}
