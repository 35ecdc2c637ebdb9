#if canImport(Glibc)
    import Glibc
#endif

/// The time of day as Unix seconds, injected so tests can fix it. Backup ids, catalog times and
/// "last backup 2 min ago" all read this one clock.
public struct WallClock: Sendable {
    private let read: @Sendable () -> Double

    public init(_ read: @escaping @Sendable () -> Double) {
        self.read = read
    }

    /// Seconds since the Unix epoch, with sub-second precision.
    public func now() -> Double { read() }

    /// The system's real-time clock (`CLOCK_REALTIME`).
    public static let system = WallClock {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}
