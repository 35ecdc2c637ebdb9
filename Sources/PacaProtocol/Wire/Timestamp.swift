public import PacaCore

/// A point in time as the protocol writes it: RFC 3339 in UTC to the second (`2026-11-27T02:00:00Z`).
public struct Timestamp: WireValue, Hashable, Comparable {
    /// Seconds since the Unix epoch.
    public var unixSeconds: Int64

    public init(unixSeconds: Int64) { self.unixSeconds = unixSeconds }

    public static var wireSchema: JSONValue { ["type": "string", "format": "date-time"] }
    public static var wireExpectation: String { "an RFC 3339 time" }

    public init(wire: JSONValue) throws(WireProblem) {
        guard case .string(let text) = wire, let time = CivilTime(rfc3339: text) else { throw Self.mistyped(wire) }
        unixSeconds = time.unixSeconds
    }

    public var wire: JSONValue { .string(text) }
    /// The RFC 3339 text.
    public var text: String { CivilTime(unixSeconds: unixSeconds).rfc3339 }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.unixSeconds < b.unixSeconds }
}
