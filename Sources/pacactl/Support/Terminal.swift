import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Standard error as a `TextOutputStream`.
struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        writeToStandardError(string)
    }
}

/// Writes `text` to file descriptor 2 unbuffered.
func writeToStandardError(_ text: String) {
    var text = text
    text.withUTF8 { bytes in
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(STDERR_FILENO, bytes.baseAddress! + done, bytes.count - done)
            if n <= 0 { return }
            done += n
        }
    }
}

/// A one-line progress bar on standard error, drawn only when standard error is a terminal, so
/// that piped and logged output stays clean.
final class ProgressBar: @unchecked Sendable {
    private let label: String
    private let isEnabled: Bool
    private let started = ProgressBar.now()
    private let lock = Mutex(())

    init(label: String) {
        self.label = label
        isEnabled = isatty(STDERR_FILENO) == 1
    }

    /// Redraws the bar for `done` of `total` bytes (`total` 0 when unknown).
    func update(done: UInt64, total: UInt64) {
        guard isEnabled else { return }
        lock.withLock { _ in
            let elapsed = max(Self.now() - started, 0.001)
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
            writeToStandardError(line)
        }
    }

    /// Clears the bar's line.
    func finish() {
        guard isEnabled else { return }
        writeToStandardError("\r\u{1B}[K")
    }

    private static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// Human-readable byte counts in powers of 1024 with one decimal: `1.5 GiB`.
enum ByteCount {
    static func format(_ bytes: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return "\(bytes) B" }
        let rounded = (value * 10).rounded() / 10
        return "\(rounded) \(units[unit])"
    }
}
