/// A path as the kernel sees it: bytes without NUL, not necessarily UTF-8. Linux allows any
/// byte but `/` and NUL in a name, so a file copied from an old Windows share may be named in
/// EUC-KR or Latin-1; a `String` cannot hold such a name without changing it, this can.
public struct SystemPath: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The path's bytes, without a terminating NUL.
    public var bytes: [UInt8]

    public init(_ string: String) { bytes = Array(string.utf8) }
    public init(stringLiteral value: String) { self.init(value) }

    /// A path from raw bytes; a NUL byte (which no path can hold) ends it.
    public init(bytes: some Sequence<UInt8>) { self.bytes = Array(bytes.prefix { $0 != 0 }) }

    /// This path with `name` (one component, as bytes) appended after a `/`.
    public func appending(_ name: [UInt8]) -> SystemPath {
        var joined = bytes
        if joined.last != UInt8(ascii: "/") { joined.append(UInt8(ascii: "/")) }
        joined += name
        return SystemPath(bytes: joined)
    }

    /// The path as text when it is valid UTF-8, else nil.
    public var string: String? { String(validating: bytes, as: UTF8.self) }

    /// The path for people: UTF-8 as it is, every byte that is not valid UTF-8 as `\xNN`.
    public var description: String { Self.display(bytes) }

    /// `bytes` for people: valid UTF-8 as it is, other bytes as `\xNN`, control characters escaped.
    public static func display(_ bytes: [UInt8]) -> String {
        if let text = String(validating: bytes, as: UTF8.self), !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0 == "\\" }) {
            return text
        }
        var out = ""
        var index = 0
        while index < bytes.count {
            let length = UTF8Sequence.length(of: bytes, at: index)
            if length > 1, let scalar = String(validating: bytes[index..<index + length], as: UTF8.self) {
                out += scalar
                index += length
                continue
            }
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\\"): out += "\\\\"
            case UInt8(ascii: "\n"): out += "\\n"
            case UInt8(ascii: "\t"): out += "\\t"
            case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(byte))
            default: out += "\\x" + String(byte, radix: 16, uppercase: false).leftPadded(to: 2)
            }
            index += 1
        }
        return out
    }
}

/// What a ``Syscall`` wrapper takes as a path: a `String` (every path pacad's configuration names)
/// or a ``SystemPath`` (names read from the disk, kept as bytes).
public protocol SystemPathConvertible: Sendable {
    /// Calls `body` with the path as a NUL-terminated C string.
    func withCPath<R, E: Error>(_ body: (UnsafePointer<CChar>) throws(E) -> R) throws(E) -> R
    /// The path as errors show it.
    var displayPath: String { get }
}

extension String: SystemPathConvertible {
    public func withCPath<R, E: Error>(_ body: (UnsafePointer<CChar>) throws(E) -> R) throws(E) -> R {
        var result: Result<R, E>?
        withCString { pointer in result = Result { () throws(E) -> R in try body(pointer) } }
        return try result!.get()
    }

    public var displayPath: String { self }
}

extension SystemPath: SystemPathConvertible {
    public func withCPath<R, E: Error>(_ body: (UnsafePointer<CChar>) throws(E) -> R) throws(E) -> R {
        var terminated = bytes
        terminated.append(0)
        var result: Result<R, E>?
        terminated.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                result = Result { () throws(E) -> R in try body(chars.baseAddress!) }
            }
        }
        return try result!.get()
    }

    public var displayPath: String { description }
}

enum UTF8Sequence {
    /// How many bytes the UTF-8 sequence starting at `index` claims (1 for a stray byte).
    static func length(of bytes: [UInt8], at index: Int) -> Int {
        let lead = bytes[index]
        let claimed =
            switch lead {
            case 0xC2...0xDF: 2
            case 0xE0...0xEF: 3
            case 0xF0...0xF4: 4
            default: 1
            }
        return index + claimed <= bytes.count ? claimed : 1
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
