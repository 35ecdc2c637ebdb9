/// The meaning of a query, evaluated record by record. The memory and file stores answer with
/// it (narrowed first by their indexes), and the tests hold every other store to it.
extension Filter {
    public func matches(_ record: Record) -> Bool {
        switch self {
        case .and(let filters): return filters.allSatisfy { $0.matches(record) }
        case .or(let filters): return filters.contains { $0.matches(record) }
        case .not(let filter): return !filter.matches(record)
        case .compare(let path, let op, let value):
            let field = record.value(at: path)
            switch op {
            case .eq: return ValueRules.equal(field, value)
            case .ne: return !ValueRules.equal(field, value)
            case .gt: return ValueRules.order(field, value).map { $0 > 0 } ?? false
            case .gte: return ValueRules.order(field, value).map { $0 >= 0 } ?? false
            case .lt: return ValueRules.order(field, value).map { $0 < 0 } ?? false
            case .lte: return ValueRules.order(field, value).map { $0 <= 0 } ?? false
            case .in: return value.arrayElements.contains { ValueRules.equal(field, $0) }
            case .notIn: return !value.arrayElements.contains { ValueRules.equal(field, $0) }
            case .like:
                guard case .string(let text)? = field, case .string(let pattern) = value else { return false }
                // The plain scalar matcher: the reference that CompiledFilter's byte matcher is tested against.
                return ValueRules.like(Array(text.unicodeScalars), Array(pattern.unicodeScalars))
            }
        }
    }
}

extension JSONValue {
    /// The elements of an array; empty for anything else.
    var arrayElements: [JSONValue] {
        if case .array(let elements) = self { return elements }
        return []
    }
}

/// One piece of a `like` pattern: a literal character (`\` makes the next one literal; a `\` at
/// the very end is itself literal), `_` (exactly one character) or `%` (any run). Every matcher
/// of `like` patterns, and the SQL translation, reads patterns through this.
public enum LikeToken: Sendable, Equatable {
    case literal(Unicode.Scalar)
    case one
    case any

    public static func tokens(_ pattern: [Unicode.Scalar]) -> [LikeToken] {
        var tokens: [LikeToken] = []
        var index = 0
        while index < pattern.count {
            let scalar = pattern[index]
            if scalar == "\\" && index + 1 < pattern.count {
                tokens.append(.literal(pattern[index + 1]))
                index += 2
                continue
            }
            tokens.append(scalar == "%" ? .any : scalar == "_" ? .one : .literal(scalar))
            index += 1
        }
        return tokens
    }

    public static func tokens(_ pattern: String) -> [LikeToken] { tokens(Array(pattern.unicodeScalars)) }
}

/// How values compare, equal and sort: one rule for every store (see ``Filter``).
public enum ValueRules {
    /// The two kinds of value that order: numbers and strings.
    public enum Kind: Sendable { case number, string }

    /// `field = value`: no value equals null; numbers by value; strings by code points.
    public static func equal(_ field: JSONValue?, _ value: JSONValue) -> Bool {
        switch (field, value) {
        case (nil, .null), (.null?, .null): return true
        case (.bool(let a)?, .bool(let b)): return a == b
        case (.string(let a)?, .string(let b)): return a.utf8.elementsEqual(b.utf8)
        default: return compareNumbers(field, value) == 0
        }
    }

    /// -1, 0 or 1 when `field` and `value` are both numbers or both strings; nil otherwise.
    public static func order(_ field: JSONValue?, _ value: JSONValue) -> Int? {
        if case .string(let a)? = field, case .string(let b) = value { return compareBytes(a, b) }
        return compareNumbers(field, value)
    }

    static func compareNumbers(_ field: JSONValue?, _ value: JSONValue) -> Int? {
        switch (field, value) {
        case (.int(let a)?, .int(let b)): return a < b ? -1 : a > b ? 1 : 0
        case (.int(let a)?, .double(let b)): return compare(Double(a), b)
        case (.double(let a)?, .int(let b)): return compare(a, Double(b))
        case (.double(let a)?, .double(let b)): return compare(a, b)
        default: return nil
        }
    }

    static func compare(_ a: Double, _ b: Double) -> Int { a < b ? -1 : a > b ? 1 : 0 }

    /// Strings by UTF-8 bytes, which is Unicode code point order (SQLite's BINARY collation).
    public static func compareBytes(_ a: String, _ b: String) -> Int {
        var left = a.utf8.makeIterator()
        var right = b.utf8.makeIterator()
        while true {
            switch (left.next(), right.next()) {
            case (nil, nil): return 0
            case (nil, _): return -1
            case (_, nil): return 1
            case (let x?, let y?): if x != y { return x < y ? -1 : 1 }
            }
        }
    }

    /// SQL LIKE over Unicode scalars, for patterns with `_` or escapes.
    public static func like(_ text: [Unicode.Scalar], _ pattern: [Unicode.Scalar]) -> Bool {
        like(text, tokens: LikeToken.tokens(pattern))
    }

    /// SQL LIKE over Unicode scalars, with the pattern already read.
    public static func like(_ text: [Unicode.Scalar], tokens: [LikeToken]) -> Bool {
        var t = 0, p = 0
        var star: Int?
        var resume = 0
        while t < text.count {
            if p < tokens.count, tokens[p] == .one || tokens[p] == .literal(text[t]) {
                t += 1
                p += 1
            } else if p < tokens.count, tokens[p] == .any {
                star = p
                resume = t
                p += 1
            } else if let star {
                p = star + 1
                resume += 1
                t = resume
            } else {
                return false
            }
        }
        while p < tokens.count, tokens[p] == .any { p += 1 }
        return p == tokens.count
    }

    /// Where a value sorts: no value, then booleans, numbers, strings, and arrays and objects last.
    public static func rank(_ value: JSONValue?) -> Int {
        switch value {
        case nil, .null?: 0
        case .bool?: 1
        case .int?, .double?: 2
        case .string?: 3
        case .array?, .object?: 4
        }
    }

    /// The sort order of two field values (ties between arrays and objects are equal).
    public static func sortOrder(_ a: JSONValue?, _ b: JSONValue?) -> Int {
        let (x, y) = (rank(a), rank(b))
        if x != y { return x < y ? -1 : 1 }
        switch (a, b) {
        case (.bool(let p)?, .bool(let q)?): return p == q ? 0 : (!p ? -1 : 1)
        case (.string(let p)?, .string(let q)?): return compareBytes(p, q)
        default: return compareNumbers(a, b ?? .null) ?? 0
        }
    }
}

extension Query {
    /// The records `candidates` holds that match, sorted and paged: the reference answer.
    public func answer(from candidates: some Sequence<Record>) -> [Record] {
        var matching = candidates.filter { filter?.matches($0) ?? true }
        sort(&matching)
        return page(matching)
    }

    /// The records `offset` and `limit` select from records already in the query's order.
    public func page(_ ordered: [Record]) -> [Record] {
        let start = min(offset, ordered.count)
        let end = limit.map { min(start + $0, ordered.count) } ?? ordered.count
        return Array(ordered[start..<end])
    }

    /// Sorts by the query's field and order; ties go by id in the same direction (so a
    /// descending sort lists the newest of equal values first, and one index on the field and the
    /// id serves both directions).
    public func sort(_ records: inout [Record]) {
        let descending = order == .desc
        guard let sortBy else {
            records.sort { descending ? ValueRules.compareBytes($0.id, $1.id) > 0 : ValueRules.compareBytes($0.id, $1.id) < 0 }
            return
        }
        let keyed = records.map { ($0, $0.value(at: sortBy)) }
        records = keyed.sorted { left, right in
            var order = ValueRules.sortOrder(left.1, right.1)
            if order == 0 { order = ValueRules.compareBytes(left.0.id, right.0.id) }
            return descending ? order > 0 : order < 0
        }.map(\.0)
    }

    /// The kind (number or string) every record the filter matches must have at `path`, when the
    /// filter says so: a comparison of `path` with a number or a string by `=`, `>`, `>=`, `<`,
    /// `<=`, alone or as one of the terms of an `and`.
    public func guaranteedKind(of path: FieldPath) -> ValueRules.Kind? {
        guard let filter else { return nil }
        return Self.kind(of: path, in: filter)
    }

    static func kind(of path: FieldPath, in filter: Filter) -> ValueRules.Kind? {
        switch filter {
        case .compare(path, let op, let value) where [.eq, .gt, .gte, .lt, .lte].contains(op):
            switch value {
            case .int, .double: return .number
            case .string: return .string
            default: return nil
            }
        case .and(let filters):
            return filters.lazy.compactMap { kind(of: path, in: $0) }.first
        default:
            return nil
        }
    }
}
