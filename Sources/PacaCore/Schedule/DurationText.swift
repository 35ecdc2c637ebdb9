/// Durations as people write them in the config and on the command line: `90s`, `30m`, `6h`,
/// `1d`, `2w`, and combinations like `1h30m`.
public enum DurationText {
    static let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800]

    /// Seconds in `text`, or nil when it is not a positive duration.
    public static func seconds(_ text: String) -> Int64? {
        var total: Int64 = 0
        var number: Int64?
        for character in text {
            if let digit = character.wholeNumberValue, character.isASCII {
                let (shifted, overflow) = (number ?? 0).multipliedReportingOverflow(by: 10)
                guard !overflow else { return nil }
                number = shifted + Int64(digit)
            } else if let unit = units[character], let value = number {
                let (product, overflow) = value.multipliedReportingOverflow(by: unit)
                guard !overflow, product <= 10 * 366 * 86_400 else { return nil }
                total += product
                number = nil
            } else {
                return nil
            }
        }
        guard number == nil, total > 0 else { return nil }
        return total
    }

    /// The shortest form: `6h`, `1h30m`, `90s` → `1m30s`.
    public static func format(_ seconds: Int64) -> String {
        guard seconds > 0 else { return "0s" }
        var rest = seconds
        var text = ""
        for (unit, size) in [("w", Int64(604_800)), ("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] where rest >= size {
            text += "\(rest / size)\(unit)"
            rest %= size
        }
        return text
    }

    /// A rough figure for people: `42 s`, `5 min`, `3 h`, `2 days`.
    public static func approximate(_ seconds: Int64) -> String {
        switch seconds {
        case ..<120: "\(seconds) s"
        case ..<7200: "\(seconds / 60) min"
        case ..<172_800: "\(seconds / 3600) h"
        default: "\(seconds / 86400) days"
        }
    }
}
