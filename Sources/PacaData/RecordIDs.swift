import Synchronization

/// Generated record ids: 24 lowercase hex digits, the first 12 the creation time in
/// milliseconds, then a per-process sequence and random bits. They sort by creation time (ties in
/// the same millisecond by the sequence), so the default query order is the order of creation.
public final class RecordIDs: Sendable {
    private struct State {
        var lastMillisecond: Int64 = 0
        var sequence: UInt32 = 0
    }

    private let state = Mutex(State())

    public init() {}

    public func next(unixMilliseconds now: Int64) -> String {
        let (millisecond, sequence) = state.withLock { state -> (Int64, UInt32) in
            if now > state.lastMillisecond {
                state.lastMillisecond = now
                state.sequence = UInt32.random(in: 0..<0x8000)
            } else {
                state.sequence &+= 1
            }
            return (state.lastMillisecond, state.sequence)
        }
        let random = UInt32.random(in: 0..<0x100_0000)
        return Self.hex(UInt64(max(0, millisecond)), digits: 12) + Self.hex(UInt64(sequence & 0xFF_FFFF), digits: 6)
            + Self.hex(UInt64(random), digits: 6)
    }

    static func hex(_ value: UInt64, digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.count)) + text.suffix(digits)
    }
}
