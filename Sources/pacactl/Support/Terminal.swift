import PacaCore
import PacaSystem
import Synchronization

/// Standard error as a `TextOutputStream`.
struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        StandardStreams.writeError(string)
    }
}

/// A one-line progress bar on standard error, drawn only when standard error is a terminal, so
/// that piped and logged output stays clean.
final class ProgressBar: Sendable {
    private let label: String
    private let isEnabled: Bool
    private let started = SystemTime.monotonic()
    private let lock = Mutex(())

    init(label: String) {
        self.label = label
        isEnabled = StandardStreams.isTerminal(2)
    }

    /// Redraws the bar for `done` of `total` bytes (`total` 0 when unknown).
    func update(done: UInt64, total: UInt64) {
        guard isEnabled else { return }
        lock.withLock { _ in
            let elapsed = max(SystemTime.monotonic() - started, 0.001)
            let rate = ByteCount.format(UInt64(Double(done) / elapsed)) + "/s"
            var line = "\r\(label) "
            if total > 0 {
                let fraction = min(1, Double(done) / Double(total))
                let width = 30
                let filled = Int(fraction * Double(width))
                line += "[" + String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled) + "]"
                line += " \(Int(fraction * 100))%  \(ByteCount.format(done)) / \(ByteCount.format(total))"
            } else {
                line += ByteCount.format(done)
            }
            line += "  \(rate)\u{1B}[K"
            StandardStreams.writeError(line)
        }
    }

    /// Clears the bar's line.
    func finish() {
        guard isEnabled else { return }
        StandardStreams.writeError("\r\u{1B}[K")
    }
}

/// Human-readable byte counts in powers of 1024 with one decimal: `1.5 GiB`.
enum ByteCount {
    static func format(_ bytes: UInt64) -> String { SizeText.format(bytes) }

    /// `bytes` formatted, or `-` when there is no count.
    static func format(_ bytes: Int64?) -> String { bytes.map { format(UInt64(max(0, $0))) } ?? "-" }
}

extension Optional where Wrapped: CustomStringConvertible {
    /// The value as text, or `-` for none: for table cells.
    var text: String { map(\.description) ?? "-" }
}
