import PacaSystem

/// The MS-DOS date and time fields of ZIP headers: local time, 2-second resolution, 1980 to 2107.
///
/// Readers that understand the Info-ZIP "UT" extra field ignore these; Python's `zipfile` and
/// Windows Explorer show them. Like Info-ZIP `zip`, they hold the writer's local time.
struct DOSDateTime: Equatable {
    var time: UInt16
    var date: UInt16

    init(time: UInt16, date: UInt16) {
        self.time = time
        self.date = date
    }

    /// The DOS fields for a Unix time, clamped to the range DOS can express.
    init(unixTime: Int64) {
        let parts = SystemTime.localFields(unixTime)
        let year = parts.year
        if year < 1980 {
            self.init(time: 0, date: 1 << 5 | 1)  // 1980-01-01 00:00:00
            return
        }
        if year > 2107 {
            self.init(time: 23 << 11 | 59 << 5 | 29, date: 127 << 9 | 12 << 5 | 31)
            return
        }
        let time = UInt16(parts.hour) << 11 | UInt16(parts.minute) << 5 | UInt16(parts.second / 2)
        let date = UInt16(year - 1980) << 9 | UInt16(parts.month) << 5 | UInt16(parts.day)
        self.init(time: time, date: date)
    }

    /// The Unix time these fields name, read as local time.
    var unixTime: Int64 {
        SystemTime.localSeconds(
            year: Int(date >> 9) + 1980, month: Int((date >> 5) & 0x0F), day: Int(date & 0x1F), hour: Int(time >> 11),
            minute: Int((time >> 5) & 0x3F), second: Int(time & 0x1F) * 2)
    }
}
