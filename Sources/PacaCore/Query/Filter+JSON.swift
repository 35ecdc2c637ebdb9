/// The structured form of filters, which the protocol carries:
/// `{"field": "age", "op": "gte", "value": 18}`, `{"and": [...]}`, `{"or": [...]}`, `{"not": {...}}`.
/// `field` is a dotted string or an array of components.
extension Filter {
    public init(json: JSONValue, at location: String = "filter") throws(QueryError) {
        guard case .object(let members) = json else {
            throw QueryError("expected an object (a comparison, or and/or/not), not \(json.typeName)", location: location)
        }
        for combinator in ["and", "or"] {
            guard let list = members[combinator] else { continue }
            guard members.count == 1 else {
                throw QueryError("\"\(combinator)\" stands alone in its object; put other conditions inside it", location: location)
            }
            guard case .array(let items) = list, !items.isEmpty else {
                throw QueryError("\"\(combinator)\" needs a non-empty list of filters", location: location + "." + combinator)
            }
            var filters: [Filter] = []
            for (index, item) in items.enumerated() {
                filters.append(try Filter(json: item, at: "\(location).\(combinator)[\(index)]"))
            }
            self = combinator == "and" ? .and(filters) : .or(filters)
            return
        }
        if let inner = members["not"] {
            guard members.count == 1 else {
                throw QueryError("\"not\" stands alone in its object; put other conditions inside it", location: location)
            }
            self = .not(try Filter(json: inner, at: location + ".not"))
            return
        }
        for key in members.keys where !["field", "op", "value"].contains(key) {
            throw QueryError("unknown key \"\(key)\"; expected field, op and value (or and, or, not)", location: location)
        }
        let path: FieldPath
        switch members["field"] {
        case .string(let dotted)? where !dotted.isEmpty:
            path = FieldPath(dotted: dotted)
        case .array(let items)? where !items.isEmpty:
            var components: [String] = []
            for item in items {
                guard case .string(let component) = item else {
                    throw QueryError("a field given as a list holds strings only", location: location + ".field")
                }
                components.append(component)
            }
            path = FieldPath(components)
        case nil:
            throw QueryError("missing \"field\"", location: location)
        default:
            throw QueryError("\"field\" is a dotted name (\"user.city\") or a list of names", location: location + ".field")
        }
        guard case .string(let opName)? = members["op"] else {
            throw QueryError(
                "missing \"op\" (one of \(FilterOperator.allCases.map(\.rawValue).joined(separator: ", ")))", location: location)
        }
        guard let op = FilterOperator(rawValue: opName) else {
            throw QueryError(
                "unknown operator \"\(opName)\"; expected one of \(FilterOperator.allCases.map(\.rawValue).joined(separator: ", "))",
                location: location + ".op")
        }
        guard let value = members["value"] else { throw QueryError("missing \"value\"", location: location) }
        if let problem = Self.problem(op, value) { throw QueryError(problem, location: location + ".value") }
        self = .compare(path, op, value)
    }

    /// Why `value` cannot be compared with `op`, or nil when it can (`naming` the operator as the text form spells it).
    public static func problem(_ op: FilterOperator, _ value: JSONValue, naming name: String? = nil) -> String? {
        let name = name ?? op.rawValue
        switch op {
        case .eq, .ne:
            if case .array = value { return "\(name) compares with one value; use in for a list" }
            if case .object = value { return "\(name) compares with a number, string, boolean or null, not an object" }
        case .gt, .gte, .lt, .lte:
            switch value {
            case .int, .double, .string: break
            default: return "\(name) compares with a number or a string, not \(value.typeName)"
            }
        case .in, .notIn:
            guard case .array(let items) = value else { return "\(name) needs a list of values, not \(value.typeName)" }
            for item in items {
                switch item {
                case .array, .object: return "\(name) takes a list of numbers, strings, booleans or null, not of \(item.typeName)s"
                default: break
                }
            }
        case .like:
            guard case .string = value else { return "like needs a string pattern, not \(value.typeName)" }
        }
        return nil
    }

    /// The structured form.
    public var json: JSONValue {
        switch self {
        case .and(let filters): .object(["and": .array(filters.map(\.json))])
        case .or(let filters): .object(["or": .array(filters.map(\.json))])
        case .not(let filter): .object(["not": filter.json])
        case .compare(let path, let op, let value):
            .object([
                "field": path.components.contains { $0.contains(".") } || path.components.count == 0
                    ? .array(path.components.map(JSONValue.string)) : .string(path.components.joined(separator: ".")),
                "op": .string(op.rawValue), "value": value,
            ])
        }
    }
}
