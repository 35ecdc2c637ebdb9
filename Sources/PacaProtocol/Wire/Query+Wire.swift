public import PacaCore

/// Filters travel in their structured form (docs/data.md): a comparison
/// `{"field": "age", "op": "gte", "value": 18}` or `{"and": [...]}`, `{"or": [...]}`, `{"not": {...}}`.
extension Filter: WireValue {
    public static var wireSchema: JSONValue { ["$ref": "#/components/schemas/Filter"] }
    public static var wireExpectation: String { "a filter object" }

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
            ],
        ]
    }

    public init(wire: JSONValue) throws(WireProblem) {
        do { self = try Filter(json: wire) } catch { throw WireProblem(.invalid(error.description, at: error.location ?? "filter")) }
    }

    public var wire: JSONValue { json }
}

extension SortOrder: WireEnum {}

extension Record.DataType: WireEnum {}
