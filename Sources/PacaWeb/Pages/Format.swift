import PacaCore
public import PacaProtocol

/// How pages show times, sizes and durations.
public enum Format {
    /// `2026-12-05 20:35 UTC`.
    public static func time(_ stamp: Timestamp?) -> String {
        guard let stamp else { return "-" }
        let text = stamp.text
        // RFC 3339 `2026-12-05T20:35:11Z` → `2026-12-05 20:35:11 UTC`.
        return text.replacingFirst("T", with: " ").replacingFirst("Z", with: " UTC")
    }

    /// `3 min ago`, `in 2 h`.
    public static func relative(_ stamp: Timestamp?, now: Int64) -> String {
        guard let stamp else { return "" }
        let delta = stamp.unixSeconds - now
        return delta >= 0 ? "in \(duration(delta))" : "\(duration(-delta)) ago"
    }

    /// `42 s`, `5 min`, `3 h`, `2 days`.
    public static func duration(_ seconds: Int64) -> String { DurationText.approximate(seconds) }

    public static func bytes(_ count: Int64?) -> String { count.map { SizeText.format(UInt64(max(0, $0))) } ?? "-" }
}

extension String {
    fileprivate func replacingFirst(_ target: Character, with replacement: String) -> String {
        guard let index = firstIndex(of: target) else { return self }
        return String(self[..<index]) + replacement + String(self[self.index(after: index)...])
    }
}
