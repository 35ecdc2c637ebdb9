import CSystemd

/// Tells systemd what pacad is doing, through libsystemd's `sd_notify` (a `Type=notify` unit).
///
/// Every call is a no-op when `NOTIFY_SOCKET` is unset, so the daemon can call these
/// unconditionally. Messages never include secrets: only states and short status lines.
/// See sd_notify(3) and sd_watchdog_enabled(3).
public struct SystemdNotifier: Sendable {
    public init() {}

    /// `READY=1` with a status line: send only once the socket is bound and the catalog loaded.
    public func ready(status: String) { send("READY=1\nSTATUS=\(Self.line(status))") }

    /// `STATUS=…`: one line shown by `systemctl status`, e.g. "backing up training: 41%".
    public func status(_ text: String) { send("STATUS=\(Self.line(text))") }

    /// `WATCHDOG=1`: the keep-alive, due every ``watchdogInterval``.
    public func watchdog() { send("WATCHDOG=1") }

    /// `STOPPING=1` with a status line, sent when a graceful stop begins.
    public func stopping(status: String) { send("STOPPING=1\nSTATUS=\(Self.line(status))") }

    /// How often to send ``watchdog()``: half of `WATCHDOG_USEC` when systemd enabled the watchdog
    /// for this process, nil otherwise.
    public var watchdogInterval: Duration? {
        var microseconds: UInt64 = 0
        guard sd_watchdog_enabled(0, &microseconds) > 0, microseconds > 0 else { return nil }
        return .microseconds(Int64(microseconds / 2))
    }

    private func send(_ message: String) {
        _ = sd_notify(0, message)
    }

    /// Status text on one line: newlines would start a new assignment in the notify protocol.
    private static func line(_ text: String) -> String {
        String(text.map { $0 == "\n" || $0 == "\r" ? " " : $0 })
    }
}
