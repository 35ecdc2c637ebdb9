/// The offsets from UTC a time zone uses over time: UTC, a fixed offset, or the rules of a TZif
/// file from the zone database (RFC 8536: its transition table, then its POSIX TZ footer for
/// times after the table). Pure: the bytes are read elsewhere (PacaConfig's `ZoneDatabase`).
public struct ZoneRules: Sendable, Hashable {
    /// Instants (Unix seconds) at which the offset changes, ascending, and the offset from each on.
    let transitions: [Int64]
    let offsets: [Int32]
    /// The offset before the first transition.
    let initialOffset: Int32
    /// Rules for instants after the last transition, when the file has them.
    let footer: PosixZoneRule?
    /// The zone's name, for messages.
    public let name: String

    public static let utc = ZoneRules(fixedOffset: 0, name: "UTC")

    public init(fixedOffset seconds: Int32, name: String) {
        transitions = []
        offsets = []
        initialOffset = seconds
        footer = nil
        self.name = name
    }

    init(transitions: [Int64], offsets: [Int32], initialOffset: Int32, footer: PosixZoneRule?, name: String) {
        self.transitions = transitions
        self.offsets = offsets
        self.initialOffset = initialOffset
        self.footer = footer
        self.name = name
    }

    /// The offset from UTC, in seconds, in effect at `instant`.
    public func offset(at instant: Int64) -> Int32 {
        if let last = transitions.last, instant >= last, let footer { return footer.offset(at: instant) }
        if transitions.isEmpty { return footer?.offset(at: instant) ?? initialOffset }
        var low = 0
        var high = transitions.count
        while low < high {
            let middle = (low + high) / 2
            if transitions[middle] <= instant { low = middle + 1 } else { high = middle }
        }
        return low == 0 ? initialOffset : offsets[low - 1]
    }

    /// The first instant after `instant` at which the offset changes, if any.
    func nextChange(after instant: Int64) -> Int64? {
        var current = offset(at: instant)
        var low = 0
        var high = transitions.count
        while low < high {
            let middle = (low + high) / 2
            if transitions[middle] <= instant { low = middle + 1 } else { high = middle }
        }
        for index in low..<transitions.count {
            if offsets[index] != current { return transitions[index] }
            current = offsets[index]
        }
        return footer?.nextChange(after: max(instant, transitions.last ?? instant))
    }

    /// How a local time (seconds since the epoch as if the zone were UTC) maps to instants.
    public enum Resolution: Sendable, Equatable {
        case unique(Int64)
        /// The local time occurs twice (clocks fell back): the earlier and the later instant.
        case repeated(Int64, Int64)
        /// The local time does not exist (clocks sprang forward): the instant the gap ends.
        case skipped(Int64)
    }

    public func instants(forLocal local: Int64) -> Resolution {
        if transitions.isEmpty && footer?.daylight == nil { return .unique(local - Int64(offset(at: local))) }
        let before = Int64(offset(at: local - 86_400 * 2))
        let after = Int64(offset(at: local + 86_400 * 2))
        var found: [Int64] = []
        for candidate in Set([before, after]) where Int64(offset(at: local - candidate)) == candidate {
            found.append(local - candidate)
        }
        // An offset in between (two changes within four days) is rare; check the offset at the
        // naive instant too.
        let middle = Int64(offset(at: local - before))
        if middle != before && middle != after && Int64(offset(at: local - middle)) == middle { found.append(local - middle) }
        found.sort()
        if found.count == 1 { return .unique(found[0]) }
        if found.count >= 2 { return .repeated(found[0], found[found.count - 1]) }
        let end = nextChange(after: local - max(before, after)) ?? (local - min(before, after))
        return .skipped(end)
    }
}
