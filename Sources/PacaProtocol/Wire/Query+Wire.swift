public import PacaCore

/// Filters travel in their structured form (docs/data.md): a comparison
/// `{"field": "age", "op": "gte", "value": 18}` or `{"and": [...]}`, `{"or": [...]}`, `{"not": {...}}`;
/// or as the text of `pacactl --where` (`age >= 18 and city = "Seoul"`), which the daemon parses,
/// so clients in other languages need no parser of their own.
extension Filter: WireValue {
    public static var wireSchema: JSONValue { ["$ref": "#/components/schemas/Filter"] }
    public static var wireExpectation: String { "a filter object or the text of a filter" }

    public static func registerSchemas(in schemas: inout [String: JSONValue]) {
        let filter: JSONValue = ["$ref": "#/components/schemas/Filter"]
        let list: JSONValue = ["type": "array", "items": filter, "minItems": 1]
        schemas["Filter"] = [
            "description": "A filter over records' fields (docs/data.md): a comparison, or and/or/not of filters.",
            "oneOf": [
                [
                    "type": "object", "required": ["field", "op", "value"], "additionalProperties": false,
                    "properties": [
                        "field": [
                            "description": "A dotted field name, or the list of its components.",
                            "oneOf": [["type": "string", "minLength": 1], ["type": "array", "items": ["type": "string"], "minItems": 1]],
                        ],
                        "op": ["type": "string", "enum": .array(FilterOperator.allCases.map { .string($0.rawValue) })],
                        "value": [:],
                    ],
                ],
                ["type": "object", "required": ["and"], "additionalProperties": false, "properties": ["and": list]],
                ["type": "object", "required": ["or"], "additionalProperties": false, "properties": ["or": list]],
                ["type": "object", "required": ["not"], "additionalProperties": false, "properties": ["not": filter]],
                [
                    "description": #"The text form, as pacactl's --where takes it: 'set = "training" and bytes_in > 1GB'."#,
                    "type": "string", "minLength": 1, "maxLength": .int(Int64(Self.maxTextLength)),
                ],
            ],
        ]
    }

    /// The longest text form accepted: a filter is a line someone typed, not a document.
    public static let maxTextLength = 4096

    public init(wire: JSONValue) throws(WireProblem) {
        if case .string(let text) = wire {
            guard text.unicodeScalars.count <= Self.maxTextLength else {
                throw WireProblem(.invalid("a filter's text is at most \(Self.maxTextLength) characters", at: "filter"))
            }
            do { self = try QueryText.parse(text) } catch { throw WireProblem(.invalid(error.description, at: "filter")) }
            return
        }
        do { self = try Filter(json: wire) } catch { throw WireProblem(.invalid(error.description, at: error.location ?? "filter")) }
    }

    public var wire: JSONValue { json }
}

extension SortOrder: WireEnum {}

extension Record.DataType: WireEnum {}
