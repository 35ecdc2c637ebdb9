/// A path as the kernel sees it: bytes without NUL, not necessarily UTF-8. Linux allows any
/// byte but `/` and NUL in a name, so a file copied from an old Windows share may be named in
/// EUC-KR or Latin-1; a `String` cannot hold such a name without changing it, this can.
public struct SystemPath: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The path's bytes, without a terminating NUL.
    public var bytes: [UInt8]

    /// The path `string` stands for (``NameBytes``: escaped bytes as themselves).
    public init(_ string: String) { bytes = NameBytes.bytes(string) }
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

    /// `bytes` for people: valid UTF-8 as it is, other bytes as `\xNN`, control characters escaped
    /// (``NameBytes/display(_:)``).
    public static func display(_ bytes: [UInt8]) -> String {
        NameBytes.display(NameBytes.string(bytes))
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
    /// The path as the kernel takes it: the bytes the string stands for (``NameBytes``), so a
    /// name read from the disk that is not UTF-8 reaches the same file again.
    public func withCPath<R, E: Error>(_ body: (UnsafePointer<CChar>) throws(E) -> R) throws(E) -> R {
        guard NameBytes.isUTF8(self) else { return try SystemPath(self).withCPath(body) }
        var result: Result<R, E>?
        withCString { pointer in result = Result { () throws(E) -> R in try body(pointer) } }
        return try result!.get()
    }

    public var displayPath: String { NameBytes.display(self) }
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
