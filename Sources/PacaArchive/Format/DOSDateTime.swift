#if canImport(Glibc)
    import Glibc
#endif

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
        var seconds = time_t(unixTime)
        var parts = tm()
        localtime_r(&seconds, &parts)
        let year = Int(parts.tm_year) + 1900
        if year < 1980 {
            self.init(time: 0, date: 1 << 5 | 1)  // 1980-01-01 00:00:00
            return
        }
        if year > 2107 {
            self.init(time: 23 << 11 | 59 << 5 | 29, date: 127 << 9 | 12 << 5 | 31)
            return
        }
        let time = UInt16(parts.tm_hour) << 11 | UInt16(parts.tm_min) << 5 | UInt16(parts.tm_sec / 2)
        let date = UInt16(year - 1980) << 9 | UInt16(parts.tm_mon + 1) << 5 | UInt16(parts.tm_mday)
        self.init(time: time, date: date)
    }

    /// The Unix time these fields name, read as local time.
    var unixTime: Int64 {
        var parts = tm()
        parts.tm_year = Int32(date >> 9) + 80
        parts.tm_mon = Int32((date >> 5) & 0x0F) - 1
        parts.tm_mday = Int32(date & 0x1F)
        parts.tm_hour = Int32(time >> 11)
        parts.tm_min = Int32((time >> 5) & 0x3F)
        parts.tm_sec = Int32(time & 0x1F) * 2
        parts.tm_isdst = -1
        return Int64(mktime(&parts))
    }
}
