/// A zone file that could not be used.
public struct ZoneError: Error, Sendable, Equatable, CustomStringConvertible {
    public var zone: String
    public var reason: String

    public init(zone: String, reason: String) {
        self.zone = zone
        self.reason = reason
    }

    public var description: String { "time zone \(zone): \(reason)" }
}

extension ZoneRules {
    /// Reads a TZif file (versions 1-4, RFC 8536): the 64-bit table when there is one, and the
    /// POSIX TZ footer for instants after it.
    public init(tzif bytes: [UInt8], name: String) throws(ZoneError) {
        func fail(_ reason: String) -> ZoneError { ZoneError(zone: name, reason: reason) }
        func u32(_ at: Int) -> Int { Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3]) }
        func i32(_ at: Int) -> Int64 { Int64(Int32(bitPattern: UInt32(u32(at)))) }
        func i64(_ at: Int) -> Int64 { Int64(bitPattern: UInt64(u32(at)) << 32 | UInt64(u32(at + 4))) }

        struct Header {
            var isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt: Int
        }
        func header(at offset: Int) throws(ZoneError) -> Header {
            guard bytes.count >= offset + 44, bytes[offset..<(offset + 4)].elementsEqual(Array("TZif".utf8)) else {
                throw fail("not a TZif file")
            }
            return Header(
                isutcnt: u32(offset + 20), isstdcnt: u32(offset + 24), leapcnt: u32(offset + 28), timecnt: u32(offset + 32),
                typecnt: u32(offset + 36), charcnt: u32(offset + 40))
        }
        func blockSize(_ h: Header, timeSize: Int) -> Int {
            h.timecnt * timeSize + h.timecnt + h.typecnt * 6 + h.charcnt + h.leapcnt * (timeSize + 4) + h.isstdcnt + h.isutcnt
        }

        var h = try header(at: 0)
        let version = bytes[4]
        var start = 44
        var timeSize = 4
        if version >= UInt8(ascii: "2") {
            let second = 44 + blockSize(h, timeSize: 4)
            h = try header(at: second)
            start = second + 44
            timeSize = 8
        }
        guard h.typecnt > 0, bytes.count >= start + blockSize(h, timeSize: timeSize) else { throw fail("the file is truncated") }
        var transitions: [Int64] = []
        transitions.reserveCapacity(h.timecnt)
        for index in 0..<h.timecnt {
            transitions.append(timeSize == 8 ? i64(start + index * 8) : i32(start + index * 4))
        }
        let typeIndices = start + h.timecnt * timeSize
        let types = typeIndices + h.timecnt
        var typeOffsets: [Int32] = []
        for index in 0..<h.typecnt { typeOffsets.append(Int32(truncatingIfNeeded: i32(types + index * 6))) }
        var offsets: [Int32] = []
        for index in 0..<h.timecnt {
            let type = Int(bytes[typeIndices + index])
            guard type < h.typecnt else { throw fail("a transition names time type \(type) of \(h.typecnt)") }
            offsets.append(typeOffsets[type])
        }
        var footer: PosixZoneRule?
        if timeSize == 8 {
            let footerStart = start + blockSize(h, timeSize: 8)
            if footerStart < bytes.count, bytes[footerStart] == 0x0A,
                let end = bytes[(footerStart + 1)...].firstIndex(of: 0x0A), end > footerStart + 1
            {
                let text = String(decoding: bytes[(footerStart + 1)..<end], as: UTF8.self)
                guard let rule = PosixZoneRule(text) else { throw fail("its TZ footer \"\(text)\" is not a POSIX TZ rule") }
                footer = rule
            }
        }
        self.init(transitions: transitions, offsets: offsets, initialOffset: typeOffsets[0], footer: footer, name: name)
    }

    /// Rules from a POSIX TZ string such as `CET-1CEST,M3.5.0,M10.5.0/3` or `UTC0`.
    public init(posix text: String) throws(ZoneError) {
        guard let rule = PosixZoneRule(text) else { throw ZoneError(zone: text, reason: "not a POSIX TZ rule") }
        self.init(transitions: [], offsets: [], initialOffset: rule.standardOffset, footer: rule, name: text)
    }
}
