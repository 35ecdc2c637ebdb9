public import PacaCore

/// A JSON object of the protocol (a method's params, a result, a part of one), declared as one
/// list of ``WireField``s: that list reads it, writes it and describes it in the schema.
///
/// Reading takes every declared member and ignores others (a newer daemon may add members);
/// params are read more strictly, by ``WireParams``, which refuses members it does not know.
public protocol WireObject: WireValue {
    /// A value with every member at its default; reading fills it in.
    init()
    static var fields: [WireField<Self>] { get }
    /// The name of the object's schema in the OpenRPC document's components (`Backup`), or nil to
    /// write the schema where it is used.
    static var schemaName: String? { get }
    /// What the object is, for the schema.
    static var summary: String { get }
}

extension WireObject {
    public static var schemaName: String? { nil }
    public static var summary: String { "" }
    public static var wireExpectation: String { "an object" }

    public static var wireSchema: JSONValue {
        guard let schemaName else { return objectSchema }
        return ["$ref": .string("#/components/schemas/\(schemaName)")]
    }

    /// The object's own schema: its members, the ones always there, nothing else.
    public static var objectSchema: JSONValue {
        var properties: [String: JSONValue] = [:]
        for field in fields { properties[field.name] = field.propertySchema }
        var schema: JSONValue = [
            "type": "object", "properties": .object(properties),
            "required": .array(fields.filter(\.isAlwaysWritten).map { .string($0.name) }.sorted { "\($0)" < "\($1)" }),
        ]
        if !summary.isEmpty, case .object(var members) = schema {
            members["description"] = .string(summary)
            schema = .object(members)
        }
        return schema
    }

    public static func registerSchemas(in schemas: inout [String: JSONValue]) {
        if let schemaName {
            guard schemas[schemaName] == nil else { return }
            schemas[schemaName] = objectSchema
        }
        for field in fields { field.register(&schemas) }
    }

    public init(wire: JSONValue) throws(WireProblem) {
        guard case .object(let members) = wire else { throw Self.mistyped(wire) }
        self.init()
        for field in Self.fields { try field.read(&self, members[field.name]) }
    }

    public var wire: JSONValue {
        let fields = Self.fields
        var members: [String: JSONValue] = [:]
        members.reserveCapacity(fields.count)
        for field in fields {
            if let value = field.write(self) { members[field.name] = value }
        }
        return .object(members)
    }
}

/// One member of a ``WireObject``: its name, what it means, and how it is read, written and
/// described. Made with ``required(_:_:_:)``, ``optional(_:_:_:omittedWhenNil:)`` or
/// ``defaulted(_:_:default:_:)`` from a key path, so the member and the property cannot disagree.
public struct WireField<Root>: Sendable {
    public let name: String
    public let summary: String
    /// A caller must give it (params); for results: it is always there.
    public let isRequired: Bool
    /// Results write it every time (null when it has no value); false for members left out when empty.
    let isAlwaysWritten: Bool
    let schema: JSONValue
    let register: @Sendable (inout [String: JSONValue]) -> Void
    let read: @Sendable (inout Root, JSONValue?) throws(WireProblem) -> Void
    let write: @Sendable (Root) -> JSONValue?

    var propertySchema: JSONValue {
        guard !summary.isEmpty, case .object(var members) = schema else { return schema }
        members["description"] = .string(summary)
        return .object(members)
    }

    /// A member that must be there (and, unless it is any JSON value, not null).
    public static func required<Value: WireValue>(
        _ name: String, _ path: any WritableKeyPath<Root, Value> & Sendable, _ summary: String,
        check: (@Sendable (Value) -> WireProblem.Reason?)? = nil, schema: JSONValue? = nil
    ) -> WireField {
        WireField(
            name: name, summary: summary, isRequired: true, isAlwaysWritten: true, schema: schema ?? Value.wireSchema,
            register: { Value.registerSchemas(in: &$0) },
            read: { (root, member) throws(WireProblem) in
                guard let member, member != .null || Value.self == JSONValue.self else { throw WireProblem(.missing, at: [name]) }
                root[keyPath: path] = try Self.value(Value.self, member, name, check)
            },
            write: { $0[keyPath: path].wire })
    }

    /// A member that may be missing or null: nil then. Results write it as null unless
    /// `omittedWhenNil`, when they leave it out.
    public static func optional<Value: WireValue>(
        _ name: String, _ path: any WritableKeyPath<Root, Value?> & Sendable, _ summary: String, omittedWhenNil: Bool = false,
        check: (@Sendable (Value) -> WireProblem.Reason?)? = nil, schema: JSONValue? = nil
    ) -> WireField {
        let base = schema ?? Value.wireSchema
        return WireField(
            name: name, summary: summary, isRequired: false, isAlwaysWritten: !omittedWhenNil,
            schema: omittedWhenNil ? base : ["oneOf": [base, ["type": "null"]]], register: { Value.registerSchemas(in: &$0) },
            read: { (root, member) throws(WireProblem) in
                guard let member, member != .null else {
                    root[keyPath: path] = nil
                    return
                }
                root[keyPath: path] = try Self.value(Value.self, member, name, check)
            },
            write: { root in
                guard let value = root[keyPath: path] else { return omittedWhenNil ? nil : .null }
                return value.wire
            })
    }

    /// A param that may be missing or null: `fallback` then.
    public static func defaulted<Value: WireValue>(
        _ name: String, _ path: any WritableKeyPath<Root, Value> & Sendable, default fallback: Value, _ summary: String
    ) -> WireField {
        var schema = Value.wireSchema
        if case .object(var members) = schema {
            members["default"] = fallback.wire
            schema = .object(members)
        }
        return WireField(
            name: name, summary: summary, isRequired: false, isAlwaysWritten: true, schema: schema,
            register: { Value.registerSchemas(in: &$0) },
            read: { (root, member) throws(WireProblem) in
                guard let member, member != .null else {
                    root[keyPath: path] = fallback
                    return
                }
                root[keyPath: path] = try Self.value(Value.self, member, name, nil)
            },
            write: { $0[keyPath: path].wire })
    }

    private static func value<Value: WireValue>(
        _ type: Value.Type, _ member: JSONValue, _ name: String, _ check: (@Sendable (Value) -> WireProblem.Reason?)?
    ) throws(WireProblem) -> Value {
        let value: Value
        do { value = try Value(wire: member) } catch { throw error.within(name) }
        if let reason = check?(value) { throw WireProblem(reason, at: [name]) }
        return value
    }
}

extension WireField {
    /// A string that must be given and not empty (an id, a name).
    public static func name(_ name: String, _ path: any WritableKeyPath<Root, String> & Sendable, _ summary: String) -> WireField {
        required(name, path, summary, check: { $0.isEmpty ? .empty : nil }, schema: ["type": "string", "minLength": 1])
    }

    /// Free text a person writes (a backup's reason) that may be missing: at most
    /// ``FreeText/maximumLength`` characters (Unicode scalars, as JSON Schema counts), none a
    /// control character (no newlines, escapes or NULs to reach a log line or a terminal).
    public static func text(_ name: String, _ path: any WritableKeyPath<Root, String?> & Sendable, _ summary: String) -> WireField {
        optional(
            name, path, summary, check: { FreeText.problem(in: $0, name: name).map { .invalid($0, at: name) } },
            schema: ["type": "string", "maxLength": .int(Int64(FreeText.maximumLength)), "pattern": #"^[^\u0000-\u001F\u007F-\u009F]*$"#])
    }

    /// An integer param that may be missing, within `range` when given.
    public static func optional(
        _ name: String, _ path: any WritableKeyPath<Root, Int64?> & Sendable, in range: ClosedRange<Int64>, _ summary: String
    ) -> WireField {
        optional(
            name, path, summary, check: { range.contains($0) ? nil : .outOfRange(value: $0, range: range) },
            schema: ["type": "integer", "minimum": .int(range.lowerBound), "maximum": .int(range.upperBound)])
    }
}

/// The rules for free text callers send.
public enum FreeText {
    public static let maximumLength = 1000

    /// What is wrong with `text` as member `name`, or nil.
    public static func problem(in text: String, name: String) -> String? {
        let count = text.unicodeScalars.count
        if count > maximumLength { return "\(name) is \(count) characters long; the limit is \(maximumLength)" }
        if let control = text.unicodeScalars.first(where: { $0.properties.generalCategory == .control }) {
            let hex = String(control.value, radix: 16, uppercase: true)
            return
                "\(name) contains the control character U+\(hex.count < 4 ? String(repeating: "0", count: 4 - hex.count) + hex : hex); write it on one line, without escapes"
        }
        return nil
    }
}
