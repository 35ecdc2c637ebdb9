/// File names as Linux has them, bytes, carried in a `String` without loss.
///
/// Linux allows any byte but `/` and NUL in a name, so a dataset copied from an old Windows share
/// may have names in EUC-KR or Latin-1 that are not UTF-8. pacad keeps archive paths as `String`s
/// and turns them into bytes only where the kernel or the ZIP format needs bytes. So that no name
/// changes on the way, a byte that is not part of valid UTF-8 is held as the private-use scalar
/// U+F700 + byte (U+F780 to U+F7FF; bytes under 0x80 are always valid). A name that really holds
/// one of those scalars has its UTF-8 bytes escaped the same way, one scalar per byte, so every
/// byte string has exactly one `String` and comes back from it unchanged (like Python's
/// `surrogateescape`, which Swift strings cannot use: they hold no lone surrogates).
///
/// Text people type (a configuration, a command line) is taken as UTF-8; it cannot name a file
/// whose name holds U+F780 to U+F7FF as a character, which in practice no name does.
public enum NameBytes {
    /// The first scalar of the escape range; byte `b` (0x80 to 0xFF) is `escapeBase + b`.
    static let escapeBase: UInt32 = 0xF700
    static let escapes: ClosedRange<UInt32> = 0xF780...0xF7FF

    /// The string for `bytes`: valid UTF-8 as it is, every other byte escaped.
    public static func string(_ bytes: some Collection<UInt8>) -> String {
        let bytes = Array(bytes)
        if let text = String(validating: bytes, as: UTF8.self), !text.unicodeScalars.contains(where: { escapes.contains($0.value) }) {
            return text
        }
        var scalars = String.UnicodeScalarView()
        var index = 0
        while index < bytes.count {
            let length = sequenceLength(bytes, at: index)
            if length > 0, let decoded = String(validating: bytes[index..<index + length], as: UTF8.self),
                let scalar = decoded.unicodeScalars.first, !escapes.contains(scalar.value)
            {
                scalars.append(scalar)
                index += length
                continue
            }
            scalars.append(escape(bytes[index]))
            index += 1
        }
        return String(scalars)
    }

    /// The bytes `string` stands for: escaped bytes as themselves, everything else as UTF-8.
    public static func bytes(_ string: String) -> [UInt8] {
        guard string.unicodeScalars.contains(where: { escapes.contains($0.value) }) else { return Array(string.utf8) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(string.utf8.count)
        for scalar in string.unicodeScalars {
            if escapes.contains(scalar.value) {
                bytes.append(UInt8(scalar.value - escapeBase))
            } else {
                bytes += Array(String(scalar).utf8)
            }
        }
        return bytes
    }

    /// True when `string` stands for valid UTF-8 (it holds no escaped byte).
    public static func isUTF8(_ string: String) -> Bool {
        !string.unicodeScalars.contains { escapes.contains($0.value) }
    }

    /// `string` for people, on one line: escaped bytes as `\xNN`, control characters as `\n`,
    /// `\t` or `\xNN`, and a backslash doubled only when something else was escaped, so that
    /// ordinary names print as they are.
    public static func display(_ string: String) -> String {
        let needsEscape = string.unicodeScalars.contains { escapes.contains($0.value) || $0.properties.generalCategory == .control }
        guard needsEscape else { return string }
        var out = ""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case _ where escapes.contains(scalar.value): out += "\\x" + hex(UInt8(scalar.value - escapeBase))
            case _ where scalar.properties.generalCategory == .control && scalar.value < 0x100: out += "\\x" + hex(UInt8(scalar.value))
            case _ where scalar.properties.generalCategory == .control: out += "\\u{" + String(scalar.value, radix: 16) + "}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static func escape(_ byte: UInt8) -> Unicode.Scalar { Unicode.Scalar(escapeBase + UInt32(byte))! }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
    }

    /// The length of the UTF-8 sequence its lead byte announces at `index` (1 to 4, within the
    /// bytes), or 0 for a byte that cannot start one.
    private static func sequenceLength(_ bytes: [UInt8], at index: Int) -> Int {
        let lead = bytes[index]
        let length: Int
        switch lead {
        case 0x00...0x7F: length = 1
        case 0xC2...0xDF: length = 2
        case 0xE0...0xEF: length = 3
        case 0xF0...0xF4: length = 4
        default: return 0
        }
        return index + length <= bytes.count ? length : 0
    }
}
