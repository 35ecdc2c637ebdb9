/// A record of the record store: JSON data with an id, a declared type, times and a version that
/// grows by one on every update.
public struct Record: Sendable, Hashable {
    /// Which kind of value `data` holds.
    public enum DataType: String, Sendable, CaseIterable {
        case json, string, integer, float, boolean, datetime, binary

        /// The type a value has when the caller does not name one.
        public static func inferred(for value: JSONValue) -> DataType {
            switch value {
            case .string: .string
            case .int: .integer
            case .double: .float
            case .bool: .boolean
            case .null, .array, .object: .json
            }
        }

        /// Why `value` is not of this type, or nil when it is.
        public func problem(with value: JSONValue) -> String? {
            switch (self, value) {
            case (.json, _), (.string, .string), (.integer, .int), (.float, .double), (.float, .int), (.boolean, .bool):
                return nil
            case (.datetime, .string(let text)):
                return CivilTime(rfc3339: text) == nil ? "\"\(text)\" is not an RFC 3339 time like 2026-11-28T02:00:00Z" : nil
            case (.binary, .string(let text)):
                return Base64.decode(text) == nil ? "the data is not valid base64" : nil
            default:
                let expected: String
                switch self {
                case .integer: expected = "a whole number"
                case .float: expected = "a number"
                case .boolean: expected = "true or false"
                case .datetime: expected = "an RFC 3339 time string"
                case .binary: expected = "a base64 string"
                default: expected = "a string"
                }
                return "type \(rawValue) needs \(expected), not \(value.typeName)"
            }
        }
    }

    /// Fields every record has besides its data, addressable in queries by these names.
    public enum Metadata: String, Sendable, CaseIterable {
        case id, type, version
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    public var id: String
    public var data: JSONValue
    public var type: DataType
    /// Unix seconds.
    public var createdAt: Int64
    public var updatedAt: Int64
    public var version: Int64

    public init(id: String, data: JSONValue, type: DataType, createdAt: Int64, updatedAt: Int64, version: Int64 = 1) {
        self.id = id
        self.data = data
        self.type = type
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.version = version
    }

    /// The value at `path`: metadata for its names, else the data walked object by object; nil
    /// when missing.
    public func value(at path: FieldPath) -> JSONValue? {
        if let metadata = path.metadata {
            switch metadata {
            case .id: return .string(id)
            case .type: return .string(type.rawValue)
            case .version: return .int(version)
            case .createdAt: return .string(CivilTime(unixSeconds: createdAt).rfc3339)
            case .updatedAt: return .string(CivilTime(unixSeconds: updatedAt).rfc3339)
            }
        }
        var current = data
        for component in path.components {
            guard case .object(let members) = current, let next = members[component] else { return nil }
            current = next
        }
        return current
    }

    /// The record as the protocol shows it.
    public var json: JSONValue {
        .object([
            "id": .string(id), "data": data, "type": .string(type.rawValue), "version": .int(version),
            "created_at": .string(CivilTime(unixSeconds: createdAt).rfc3339),
            "updated_at": .string(CivilTime(unixSeconds: updatedAt).rfc3339),
        ])
    }
}

/// Standard base64 (RFC 4648, with padding), for `binary` records and archive bytes on the wire.
public enum Base64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    /// Each byte's value in the alphabet, 0xFF for bytes outside it.
    static let values: [UInt8] = {
        var values = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in alphabet.enumerated() { values[Int(byte)] = UInt8(index) }
        return values
    }()

    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        let input = Array(bytes)
        let count = (input.count + 2) / 3 * 4
        return String(unsafeUninitializedCapacity: count) { output in
            alphabet.withUnsafeBufferPointer { table in
                var out = 0
                var index = 0
                while index + 3 <= input.count {
                    let value = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
                    output[out] = table[Int(value >> 18 & 63)]
                    output[out + 1] = table[Int(value >> 12 & 63)]
                    output[out + 2] = table[Int(value >> 6 & 63)]
                    output[out + 3] = table[Int(value & 63)]
                    out += 4
                    index += 3
                }
                let rest = input.count - index
                if rest > 0 {
                    let value = UInt32(input[index]) << 16 | (rest == 2 ? UInt32(input[index + 1]) << 8 : 0)
                    output[out] = table[Int(value >> 18 & 63)]
                    output[out + 1] = table[Int(value >> 12 & 63)]
                    output[out + 2] = rest == 2 ? table[Int(value >> 6 & 63)] : UInt8(ascii: "=")
                    output[out + 3] = UInt8(ascii: "=")
                    out += 4
                }
                return out
            }
        }
    }

    public static func decode(_ text: String) -> [UInt8]? {
        var text = text
        return text.withUTF8 { decode(bytes: $0) }
    }

    private static func decode(bytes: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard bytes.count % 4 == 0 else { return nil }
        guard !bytes.isEmpty else { return [] }
        let padding = bytes[bytes.count - 1] == UInt8(ascii: "=") ? (bytes[bytes.count - 2] == UInt8(ascii: "=") ? 2 : 1) : 0
        let length = bytes.count / 4 * 3 - padding
        var failed = false
        let output = [UInt8](unsafeUninitializedCapacity: length) { output, initialized in
            values.withUnsafeBufferPointer { table in
                var out = 0
                var index = 0
                while index < bytes.count {
                    let last = index + 4 == bytes.count
                    let a = table[Int(bytes[index])]
                    let b = table[Int(bytes[index + 1])]
                    let c = last && padding == 2 ? 0 : table[Int(bytes[index + 2])]
                    let d = last && padding >= 1 ? 0 : table[Int(bytes[index + 3])]
                    if (a | b | c | d) & 0xC0 != 0 {
                        failed = true
                        break
                    }
                    let value = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                    output[out] = UInt8(value >> 16 & 0xFF)
                    if out + 1 < length { output[out + 1] = UInt8(value >> 8 & 0xFF) }
                    if out + 2 < length { output[out + 2] = UInt8(value & 0xFF) }
                    out += 3
                    index += 4
                }
                initialized = failed ? 0 : length
            }
        }
        return failed ? nil : output
    }
}
