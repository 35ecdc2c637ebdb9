/// A backup's identifier: `20261127T020000Z-training-3f9c`, the UTC start time, the set name and
/// four hex digits of randomness, so ids sort by time and two hosts (or two backups of one set in
/// the same second) do not collide.
public struct BackupID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let text: String

    /// A new id for `set` started at `unixSeconds`; `random` supplies the suffix (inject a seeded
    /// generator in tests).
    public init<R: RandomNumberGenerator>(set: String, unixSeconds: Int64, using random: inout R) {
        let suffix = String(UInt16.random(in: 0...UInt16.max, using: &random), radix: 16)
        text = "\(CivilTime(unixSeconds: unixSeconds).compact)-\(set)-\(String(repeating: "0", count: 4 - suffix.count))\(suffix)"
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

    public var description: String { text }

    public static func < (lhs: BackupID, rhs: BackupID) -> Bool { lhs.text < rhs.text }
}
