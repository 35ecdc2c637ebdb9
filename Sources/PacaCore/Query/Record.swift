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

/// Standard base64 (RFC 4648, with padding), for `binary` records.
public enum Base64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    public static func decode(_ text: String) -> [UInt8]? {
        let bytes = Array(text.utf8)
        guard bytes.count % 4 == 0 else { return nil }
        var values = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in alphabet.enumerated() { values[Int(byte)] = UInt8(index) }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count / 4 * 3)
        var index = 0
        while index < bytes.count {
            let quad = bytes[index..<index + 4]
            let padding = quad.reversed().prefix { $0 == UInt8(ascii: "=") }.count
            guard padding <= 2, index + 4 == bytes.count || padding == 0 else { return nil }
            var accumulator: UInt32 = 0
            for (offset, byte) in quad.enumerated() {
                let value: UInt8
                if offset >= 4 - padding {
                    value = 0
                } else {
                    value = values[Int(byte)]
                    guard value != 0xFF else { return nil }
                }
                accumulator = accumulator << 6 | UInt32(value)
            }
            output.append(UInt8(accumulator >> 16 & 0xFF))
            if padding < 2 { output.append(UInt8(accumulator >> 8 & 0xFF)) }
            if padding < 1 { output.append(UInt8(accumulator & 0xFF)) }
            index += 4
        }
        return output
    }
}
