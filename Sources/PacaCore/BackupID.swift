/// A backup's identifier: `20261127T020000Z-training-3f9c`, the UTC start time, the set name and
/// four hex digits of randomness, so ids sort by time and two hosts (or two backups of one set in
/// the same second) do not collide.
public struct BackupID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let text: String

    /// A new id for `set` started at `unixSeconds`; `random` supplies the suffix (inject a seeded
    /// generator in tests).
    public init<R: RandomNumberGenerator>(set: String, unixSeconds: Int64, using random: inout R) {
        self.init(set: set, unixSeconds: unixSeconds, after: nil, using: &random)
    }

    /// A new id for `set` that sorts after `previous` (the set's newest id) when both started in
    /// the same second, so the order of ids stays the order in which a set's backups started.
    public init<R: RandomNumberGenerator>(set: String, unixSeconds: Int64, after previous: String?, using random: inout R) {
        let stamp = CivilTime(unixSeconds: unixSeconds).compact
        var lowest: UInt16 = 0
        if let previous, previous.hasPrefix(stamp + "-"), BackupID(previous)?.setName == set,
            let last = UInt16(previous.suffix(4), radix: 16), last < UInt16.max
        {
            lowest = last + 1
        }
        let suffix = String(UInt16.random(in: lowest...UInt16.max, using: &random), radix: 16)
        text = "\(stamp)-\(set)-\(String(repeating: "0", count: 4 - suffix.count))\(suffix)"
    }

    /// Parses an id, or returns nil when `text` does not have the shape of one.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 3, let time = parts.first, time.count == 16, time.dropFirst(8).first == "T", time.last == "Z",
            time.filter({ $0.isASCII && $0.isNumber }).count == 14,
            let suffix = parts.last, suffix.count == 4, suffix.allSatisfy(\.isHexDigit),
            !parts.dropFirst().dropLast().joined(separator: "-").isEmpty
        else { return nil }
        self.text = text
    }

    /// The set name inside the id.
    public var setName: String {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        return parts.dropFirst().dropLast().joined(separator: "-")
    }

    /// The start time the id carries, Unix seconds.
    public var unixSeconds: Int64? {
        let t = Array(text.prefix(16))
        let rfc =
            "\(String(t[0..<4]))-\(String(t[4..<6]))-\(String(t[6..<8]))T\(String(t[9..<11])):\(String(t[11..<13])):\(String(t[13..<15]))Z"
        return CivilTime(rfc3339: rfc)?.unixSeconds
    }

    public var description: String { text }

    public static func < (lhs: BackupID, rhs: BackupID) -> Bool { lhs.text < rhs.text }
}
