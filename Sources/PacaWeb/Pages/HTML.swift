/// A piece of HTML. Built by interpolation: a `String` interpolated is escaped, an `HTML`
/// is inserted as it is, so text from the catalog (set names, file paths, error messages) can
/// only ever land in a page as text.
public struct HTML: Sendable, Equatable, ExpressibleByStringInterpolation, CustomStringConvertible {
    public private(set) var text: String

    public init(raw text: String) { self.text = text }
    public init(stringLiteral value: String) { text = value }
    public init(stringInterpolation: Interpolation) { text = stringInterpolation.text }

    public var description: String { text }

    public static let empty = HTML(raw: "")

    public struct Interpolation: StringInterpolationProtocol {
        var text = ""
        public init(literalCapacity: Int, interpolationCount: Int) { text.reserveCapacity(literalCapacity * 2) }
        public mutating func appendLiteral(_ literal: String) { text += literal }
        public mutating func appendInterpolation(_ value: String) { text += HTML.escape(value) }
        public mutating func appendInterpolation(_ value: HTML) { text += value.text }
        public mutating func appendInterpolation(_ value: [HTML]) { for item in value { text += item.text } }
        public mutating func appendInterpolation<Number: BinaryInteger>(_ value: Number) { text += String(value) }
    }

    public static func + (a: HTML, b: HTML) -> HTML { HTML(raw: a.text + b.text) }

    /// `&`, `<`, `>`, `"` and `'` as entities: safe in text and in quoted attributes.
    public static func escape(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for character in value.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }
}

extension Sequence {
    /// The pieces each element makes, one after the other.
    public func html(_ piece: (Element) -> HTML) -> HTML { HTML(raw: map { piece($0).text }.joined()) }
}

/// Query-string and path pieces for links.
public enum URLText {
    /// Percent-encodes everything but unreserved characters (RFC 3986), for a query value or a
    /// path segment.
    public static func component(_ value: String) -> String {
        var out = ""
        for byte in value.utf8 {
            let isUnreserved =
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x7E
            if isUnreserved {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    /// The fields of an `application/x-www-form-urlencoded` body (`+` is a space); a field
    /// whose encoding is broken is left out.
    public static func formFields(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = parts.first.flatMap({ decode(String($0)) }) else { continue }
            let value = parts.count > 1 ? decode(String(parts[1])) : ""
            if let value { fields[name] = value }
        }
        return fields
    }

    /// Percent-decoding with `+` as a space; nil for a bad escape or bytes that are not UTF-8.
    public static func decode(_ text: String) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next(), let low = iterator.next(),
                    let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
                else { return nil }
                bytes.append(value)
            default: bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// `?a=1&b=x%20y` from the pairs that have a value; empty when none has.
    public static func query(_ pairs: [(String, String?)]) -> String {
        let parts = pairs.compactMap { name, value in value.map { "\(name)=\(component($0))" } }
        return parts.isEmpty ? "" : "?" + parts.joined(separator: "&")
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
