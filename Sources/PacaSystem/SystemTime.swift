#if canImport(Glibc)
    import Glibc
#endif

/// The kernel's clocks, read directly. Services take their time from an injected
/// ``ServiceClock`` instead; these are for the clock's own system version and for measuring how
/// long a blocking operation took.
public enum SystemTime {
    /// Seconds since the Unix epoch (`CLOCK_REALTIME`), with sub-second precision.
    public static func realtime() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// Seconds on `CLOCK_MONOTONIC`, which never jumps: for durations.
    public static func monotonic() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// The calendar fields of `seconds` in this process's local zone (`localtime_r`): year,
    /// month 1-12, day, hour, minute, second.
    public static func localFields(_ seconds: Int64) -> (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        var time = time_t(seconds)
        var parts = tm()
        localtime_r(&time, &parts)
        return (
            Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec)
        )
    }

    /// The Unix time of calendar fields read as this process's local time (`mktime`, which
    /// decides daylight saving time itself).
    public static func localSeconds(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Int64 {
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        parts.tm_isdst = -1
        return Int64(mktime(&parts))
    }
}

/// The time of day as Unix seconds, injected so tests can set it. Backup ids, catalog times and
/// "last backup 2 min ago" all read one wall clock.
public struct WallClock: Sendable {
    private let read: @Sendable () -> Double

    public init(_ read: @escaping @Sendable () -> Double) {
        self.read = read
    }

    /// Seconds since the Unix epoch, with sub-second precision.
    public func now() -> Double { read() }

    /// The system's real-time clock.
    public static let system = WallClock { SystemTime.realtime() }
}
