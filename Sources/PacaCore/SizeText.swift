/// Byte sizes as people write them in the config: `16MiB`, `5GB`, `1048576` (units as in the
/// query language: KB MB GB TB are powers of 1000, KiB MiB GiB TiB of 1024; case does not matter).
public enum SizeText {
    /// Bytes in `text`, or nil when it is not a whole, positive size.
    public static func bytes(_ text: String) -> Int64? {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, let number = Int64(digits), number > 0 else { return nil }
        let unit = text.dropFirst(digits.count).lowercased()
        if unit.isEmpty { return number }
        guard let factor = QueryText.Lexer.sizes[unit] else { return nil }
        let (bytes, overflow) = number.multipliedReportingOverflow(by: Int64(factor))
        return overflow ? nil : bytes
    }

    /// Human-readable byte counts in powers of 1024 with one decimal: `1.5 GiB`, `512 B`.
    public static func format(_ bytes: UInt64) -> String {
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
