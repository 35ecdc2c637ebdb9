public import Logging
import PacaCore
import PacaSystem

/// Writes log lines to standard error. Under systemd, when `JOURNAL_STREAM` names this process's
/// stderr, each line starts with the `<N>` syslog priority journald reads (so `journalctl -p
/// warning` works); otherwise lines carry a UTC time and the level. Metadata follows the message
/// as sorted `key=value` pairs. One `write(2)` per line keeps lines whole across threads.
public struct JournalLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let label: String
    private let isJournal: Bool

    public init(label: String, level: Logger.Level, isJournal: Bool = JournalLogHandler.stderrIsJournal) {
        self.label = label
        self.logLevel = level
        self.isJournal = isJournal
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        var text = fields.isEmpty ? "\(event.message)" : "\(event.message) \(fields)"
        // One record per line: journald reads a new line as a new record without our priority.
        if text.contains(where: \.isNewline) { text = String(text.map { $0.isNewline ? " " : $0 }) }
        let line: String
        if isJournal {
            line = "<\(Self.priority(event.level))>\(text)\n"
        } else {
            line = "\(Self.timestamp()) \(event.level) \(text)\n"
        }
        StandardStreams.writeError(line)
    }

    /// The syslog priority journald expects for a level.
    public static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// True when `JOURNAL_STREAM` ("device:inode") matches standard error (systemd.exec(5)).
    public static var stderrIsJournal: Bool {
        guard let value = ProcessFacts.environment("JOURNAL_STREAM") else { return false }
        let parts = value.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]), let stream = StandardStreams.identity(of: 2)
        else {
            return false
        }
        return stream.device == device && stream.inode == inode
    }

    private static func timestamp() -> String {
        let now = SystemTime.realtime()
        let seconds = now.rounded(.down)
        let milliseconds = min(999, Int((now - seconds) * 1000))
        let text = CivilTime(unixSeconds: Int64(seconds)).rfc3339
        let digits = String(milliseconds)
        return text.dropLast() + "." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }
}
