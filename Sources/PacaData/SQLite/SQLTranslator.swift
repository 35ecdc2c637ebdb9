import GRDB
import PacaCore

/// SQL text with its arguments, built side by side so every `?` has its value in order.
struct SQLFragment: Sendable {
    var sql: String
    var arguments: [DatabaseValue]

    init(_ sql: String, _ arguments: [DatabaseValue] = []) {
        self.sql = sql
        self.arguments = arguments
    }

    static func + (a: SQLFragment, b: SQLFragment) -> SQLFragment { SQLFragment(a.sql + b.sql, a.arguments + b.arguments) }

    static func joined(_ parts: [SQLFragment], by separator: String) -> SQLFragment {
        var result = SQLFragment("")
        for (index, part) in parts.enumerated() {
            if index > 0 { result.sql += separator }
            result = result + part
        }
        return result
    }
}

/// Turns a ``Filter`` into a WHERE clause over `records(data JSON text, ...)` that gives the
/// reference answer (``Filter/matches(_:)``). User values and field names only ever travel as
/// bound arguments; the only names written into SQL text are the declared indexed fields (from
/// the config, checked to hold no `"`), so the query uses the same expression as their index.
struct SQLTranslator: Sendable {
    /// Declared indexed paths (data paths only).
    let indexed: Set<FieldPath>

    /// A field as SQL: its JSON type (SQLite's `json_type` names, NULL when missing) and its value.
    struct Access {
        var type: SQLFragment
        var value: SQLFragment
    }

    static func jsonPath(_ path: FieldPath) -> String? {
        guard path.components.allSatisfy({ !$0.contains("\"") }) else { return nil }
        return "$" + path.components.map { ".\"" + $0 + "\"" }.joined()
    }

    /// The SQL literal for a declared index's path (also used to create the index).
    static func literal(_ path: FieldPath) -> String? {
        jsonPath(path).map { "'" + $0.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "''") + "'" }
    }

    func access(_ path: FieldPath) -> Access {
        if let metadata = path.metadata {
            switch metadata {
            case .id: return Access(type: SQLFragment("'text'"), value: SQLFragment("id"))
            case .type: return Access(type: SQLFragment("'text'"), value: SQLFragment("type"))
            case .version: return Access(type: SQLFragment("'integer'"), value: SQLFragment("version"))
            case .createdAt:
                return Access(type: SQLFragment("'text'"), value: SQLFragment("strftime('%Y-%m-%dT%H:%M:%SZ', created_at, 'unixepoch')"))
            case .updatedAt:
                return Access(type: SQLFragment("'text'"), value: SQLFragment("strftime('%Y-%m-%dT%H:%M:%SZ', updated_at, 'unixepoch')"))
            }
        }
        if indexed.contains(path), let literal = Self.literal(path) {
            return Access(type: SQLFragment("json_type(data, \(literal))"), value: SQLFragment("json_extract(data, \(literal))"))
        }
        if let jsonPath = Self.jsonPath(path) {
            let argument = jsonPath.databaseValue
            return Access(type: SQLFragment("json_type(data, ?)", [argument]), value: SQLFragment("json_extract(data, ?)", [argument]))
        }
        // A name with a double quote, which SQLite's JSON paths cannot spell: pacad's own functions.
        let components = JSONValue.array(path.components.map(JSONValue.string)).serialized
        let argument = String(decoding: components, as: UTF8.self).databaseValue
        return Access(
            type: SQLFragment("paca_json_type(data, ?)", [argument]), value: SQLFragment("paca_json_extract(data, ?)", [argument]))
    }

    func condition(_ filter: Filter) -> SQLFragment {
        switch filter {
        case .and(let filters): return SQLFragment("(") + SQLFragment.joined(filters.map(condition), by: " AND ") + SQLFragment(")")
        case .or(let filters): return SQLFragment("(") + SQLFragment.joined(filters.map(condition), by: " OR ") + SQLFragment(")")
        case .not(let inner): return negated(condition(inner))
        case .compare(let path, let op, let value):
            let field = access(path)
            switch op {
            case .eq: return equal(field, value)
            case .ne: return negated(equal(field, value))
            case .in: return member(field, value)
            case .notIn: return negated(member(field, value))
            case .gt: return ordered(field, ">", value)
            case .gte: return ordered(field, ">=", value)
            case .lt: return ordered(field, "<", value)
            case .lte: return ordered(field, "<=", value)
            case .like:
                guard case .string(let pattern) = value else { return SQLFragment("0") }
                var prefilter = SQLFragment("")
                if path.metadata == nil, let needle = Self.likeNeedle(pattern) {
                    prefilter = SQLFragment("paca_contains(data, ?) AND ", [needle.databaseValue])
                }
                return SQLFragment("(") + prefilter + field.type + SQLFragment(" = 'text' AND ") + field.value
                    + SQLFragment(" GLOB ?)", [Self.glob(fromLike: pattern).databaseValue])
            }
        }
    }

    /// NOT that treats "unknown" (a NULL from a missing field) as false first, as the rule does.
    private func negated(_ inner: SQLFragment) -> SQLFragment { SQLFragment("NOT IFNULL(") + inner + SQLFragment(", 0)") }

    private func equal(_ field: Access, _ value: JSONValue) -> SQLFragment {
        switch value {
        case .null: return SQLFragment("(") + field.type + SQLFragment(" IS NULL OR ") + field.type + SQLFragment(" = 'null')")
        case .bool(let flag): return field.type + SQLFragment(flag ? " = 'true'" : " = 'false'")
        case .int(let number): return numeric(field) + field.value + SQLFragment(" = ?)", [number.databaseValue])
        case .double(let number): return numeric(field) + field.value + SQLFragment(" = ?)", [number.databaseValue])
        case .string(let text): return textual(field) + field.value + SQLFragment(" = ?)", [text.databaseValue])
        case .array, .object: return SQLFragment("0")
        }
    }

    private func ordered(_ field: Access, _ op: String, _ value: JSONValue) -> SQLFragment {
        switch value {
        case .int(let number): return numeric(field) + field.value + SQLFragment(" \(op) ?)", [number.databaseValue])
        case .double(let number): return numeric(field) + field.value + SQLFragment(" \(op) ?)", [number.databaseValue])
        case .string(let text): return textual(field) + field.value + SQLFragment(" \(op) ?)", [text.databaseValue])
        default: return SQLFragment("0")
        }
    }

    private func member(_ field: Access, _ list: JSONValue) -> SQLFragment {
        guard case .array(let items) = list, !items.isEmpty else { return SQLFragment("0") }
        var numbers: [DatabaseValue] = []
        var strings: [DatabaseValue] = []
        var parts: [SQLFragment] = []
        for item in items {
            switch item {
            case .int(let number): numbers.append(number.databaseValue)
            case .double(let number): numbers.append(number.databaseValue)
            case .string(let text): strings.append(text.databaseValue)
            default: parts.append(equal(field, item))
            }
        }
        if !numbers.isEmpty {
            parts.append(numeric(field) + field.value + SQLFragment(" IN (" + Self.placeholders(numbers.count) + "))", numbers))
        }
        if !strings.isEmpty {
            parts.append(textual(field) + field.value + SQLFragment(" IN (" + Self.placeholders(strings.count) + "))", strings))
        }
        return SQLFragment("(") + SQLFragment.joined(parts, by: " OR ") + SQLFragment(")")
    }

    private func numeric(_ field: Access) -> SQLFragment { SQLFragment("(") + field.type + SQLFragment(" IN ('integer', 'real') AND ") }
    private func textual(_ field: Access) -> SQLFragment { SQLFragment("(") + field.type + SQLFragment(" = 'text' AND ") }

    static func placeholders(_ count: Int) -> String { Array(repeating: "?", count: count).joined(separator: ", ") }

    /// ORDER BY for `query`: kind rank, then value, then id, all in the query's direction, as
    /// ``Query/sort(_:)``. When the filter already pins the field to numbers or strings, the rank
    /// is constant and the order is just value then id, which the field's index `(value, id)`
    /// delivers in order, so `LIMIT` stops early instead of sorting every match.
    func ordering(_ query: Query) -> SQLFragment {
        let direction = query.order == .desc ? " DESC" : ""
        guard let path = query.sortBy else { return SQLFragment(" ORDER BY id" + direction) }
        let field = access(path)
        if query.guaranteedKind(of: path) != nil {
            return SQLFragment(" ORDER BY ") + field.value + SQLFragment(direction + ", id" + direction)
        }
        let rank =
            SQLFragment("CASE WHEN ") + field.type + SQLFragment(" IS NULL OR ") + field.type + SQLFragment(" = 'null' THEN 0 WHEN ")
            + field.type + SQLFragment(" IN ('true', 'false') THEN 1 WHEN ") + field.type
            + SQLFragment(" IN ('integer', 'real') THEN 2 WHEN ")
            + field.type + SQLFragment(" = 'text' THEN 3 ELSE 4 END")
        let value =
            SQLFragment("CASE WHEN ") + field.type + SQLFragment(" IN ('array', 'object') THEN NULL ELSE ") + field.value
            + SQLFragment(" END")
        return SQLFragment(" ORDER BY ") + rank + SQLFragment(direction + ", ") + value + SQLFragment(direction + ", id" + direction)
    }

    /// Text the stored JSON must contain for `field like pattern` to hold: the pattern's longest
    /// literal piece as the serializer writes it (with the opening quote when the pattern starts
    /// with it). Finding it with `paca_contains` (memmem) is much cheaper than parsing every row's
    /// JSON, and it is only a necessary condition, so the exact test still follows.
    static func likeNeedle(_ pattern: String) -> String? {
        var pieces: [String] = [""]
        for token in LikeToken.tokens(pattern) {
            if case .literal(let scalar) = token {
                pieces[pieces.count - 1].unicodeScalars.append(scalar)
            } else {
                pieces.append("")
            }
        }
        func serialized(_ text: String) -> String {
            String(decoding: JSONValue.string(text).serialized.dropFirst().dropLast(), as: UTF8.self)
        }
        var needle = pieces.max { $0.utf8.count < $1.utf8.count }.map(serialized) ?? ""
        if let first = pieces.first, !first.isEmpty, serialized(first).utf8.count + 1 >= needle.utf8.count {
            needle = "\"" + serialized(first)
        }
        return needle.utf8.count >= 2 ? needle : nil
    }

    /// A LIKE pattern (`%`, `_`, `\` escapes) as a GLOB pattern, which is case-sensitive like the rule.
    static func glob(fromLike pattern: String) -> String {
        LikeToken.tokens(pattern).map { token in
            switch token {
            case .literal(let scalar): globLiteral(scalar)
            case .one: "?"
            case .any: "*"
            }
        }.joined()
    }

    private static func globLiteral(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "*", "?", "[": "[" + String(scalar) + "]"
        default: String(scalar)
        }
    }
}
