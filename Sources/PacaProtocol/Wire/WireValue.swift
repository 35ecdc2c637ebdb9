public import PacaCore

/// A value of the protocol: it knows its JSON form, how to read itself back with a problem that
/// says what is wrong and where, and its JSON Schema for the published OpenRPC document. Parameter
/// and result types are built from these, so what the daemon sends, what a client reads and what
/// the schema says come from one declaration.
public protocol WireValue: Sendable {
    /// The value's JSON Schema (a `$ref` for named objects).
    static var wireSchema: JSONValue { get }
    /// The value in words, for "must be …" messages: "a string", "true or false".
    static var wireExpectation: String { get }
    /// Adds the named schemas this value refers to (and their own) to `schemas`.
    static func registerSchemas(in schemas: inout [String: JSONValue])
    /// Reads the value; throws what is wrong with `wire`.
    init(wire: JSONValue) throws(WireProblem)
    /// The value's JSON form.
    var wire: JSONValue { get }
}

extension WireValue {
    public static func registerSchemas(in schemas: inout [String: JSONValue]) {}

    static func mistyped(_ wire: JSONValue) -> WireProblem {
        WireProblem(.mistyped(expected: wireExpectation, found: wire.typeName))
    }
}

extension String: WireValue {
    public static var wireSchema: JSONValue { ["type": "string"] }
    public static var wireExpectation: String { "a string" }
    public init(wire: JSONValue) throws(WireProblem) {
        guard case .string(let text) = wire else { throw Self.mistyped(wire) }
        self = text
    }
    public var wire: JSONValue { .string(self) }
}

extension Bool: WireValue {
    public static var wireSchema: JSONValue { ["type": "boolean"] }
    public static var wireExpectation: String { "true or false" }
    public init(wire: JSONValue) throws(WireProblem) {
        guard case .bool(let value) = wire else { throw Self.mistyped(wire) }
        self = value
    }
    public var wire: JSONValue { .bool(self) }
}

extension Int64: WireValue {
    public static var wireSchema: JSONValue { ["type": "integer"] }
    public static var wireExpectation: String { "an integer" }
    public init(wire: JSONValue) throws(WireProblem) {
        guard case .int(let value) = wire else { throw Self.mistyped(wire) }
        self = value
    }
    public var wire: JSONValue { .int(self) }
}

extension Int: WireValue {
    public static var wireSchema: JSONValue { ["type": "integer"] }
    public static var wireExpectation: String { "an integer" }
    public init(wire: JSONValue) throws(WireProblem) {
        guard case .int(let value) = wire, let fitting = Int(exactly: value) else { throw Self.mistyped(wire) }
        self = fitting
    }
    public var wire: JSONValue { .int(Int64(self)) }
}

extension UInt64: WireValue {
    public static var wireSchema: JSONValue { ["type": "integer", "minimum": 0] }
    public static var wireExpectation: String { "a whole number" }
    public init(wire: JSONValue) throws(WireProblem) {
        guard case .int(let value) = wire, value >= 0 else { throw Self.mistyped(wire) }
        self = UInt64(value)
    }
    public var wire: JSONValue { .int(Int64(clamping: self)) }
}

extension Double: WireValue {
    public static var wireSchema: JSONValue { ["type": "number"] }
    public static var wireExpectation: String { "a number" }
    public init(wire: JSONValue) throws(WireProblem) {
        switch wire {
        case .double(let value): self = value
        case .int(let value): self = Double(value)
        default: throw Self.mistyped(wire)
        }
    }
    public var wire: JSONValue { .double(self) }
}

extension JSONValue: WireValue {
    public static var wireSchema: JSONValue { [:] }
    public static var wireExpectation: String { "any JSON value" }
    public init(wire: JSONValue) throws(WireProblem) { self = wire }
    public var wire: JSONValue { self }
}

extension Optional: WireValue where Wrapped: WireValue {
    public static var wireSchema: JSONValue { ["oneOf": [Wrapped.wireSchema, ["type": "null"]]] }
    public static var wireExpectation: String { Wrapped.wireExpectation + " or null" }
    public static func registerSchemas(in schemas: inout [String: JSONValue]) { Wrapped.registerSchemas(in: &schemas) }
    public init(wire: JSONValue) throws(WireProblem) {
        self = wire == .null ? nil : try Wrapped(wire: wire)
    }
    public var wire: JSONValue { map(\.wire) ?? .null }
}

extension Array: WireValue where Element: WireValue {
    public static var wireSchema: JSONValue { ["type": "array", "items": Element.wireSchema] }
    public static var wireExpectation: String {
        let element = Element.wireExpectation
        let noun =
            element.hasPrefix("an ") ? String(element.dropFirst(3)) : element.hasPrefix("a ") ? String(element.dropFirst(2)) : element
        return "a list of \(noun)s"
    }
    public static func registerSchemas(in schemas: inout [String: JSONValue]) { Element.registerSchemas(in: &schemas) }
    public init(wire: JSONValue) throws(WireProblem) {
        guard case .array(let items) = wire else { throw Self.mistyped(wire) }
        var values: [Element] = []
        values.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            do { values.append(try Element(wire: item)) } catch {
                // A list of the wrong things is named as the list it should be.
                if case .mistyped = error.reason, error.path.isEmpty { throw Self.mistyped(wire) }
                throw error.within(String(index))
            }
        }
        self = values
    }
    public var wire: JSONValue { .array(map(\.wire)) }
}

/// A string value from a fixed list (a status, a kind): its schema names the list, and a value
/// outside it is refused with the list.
public protocol WireEnum: WireValue, RawRepresentable, CaseIterable where RawValue == String {}

extension WireEnum {
    public static var wireSchema: JSONValue { ["type": "string", "enum": .array(allCases.map { .string($0.rawValue) })] }
    public static var wireExpectation: String { "a string" }
    public init(wire: JSONValue) throws(WireProblem) {
        guard case .string(let text) = wire else { throw Self.mistyped(wire) }
        guard let value = Self(rawValue: text) else {
            throw WireProblem(.notOneOf(value: text, options: Self.allCases.map(\.rawValue)))
        }
        self = value
    }
    public var wire: JSONValue { .string(rawValue) }
}
