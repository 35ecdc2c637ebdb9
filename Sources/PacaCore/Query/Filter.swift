/// A path to a field of a record: `preferences.language` is `["preferences", "language"]`.
/// Components can hold any character (a component with a `.` is written in backticks in the
/// text form, or as an array in the structured form).
///
/// The one-component paths `id`, `type`, `version`, `created_at` and `updated_at` name the
/// record's own metadata; every other path walks the record's data.
public struct FieldPath: Sendable, Hashable, CustomStringConvertible {
    public var components: [String]

    public init(_ components: [String]) {
        precondition(!components.isEmpty, "a field path has at least one component")
        self.components = components
    }

    /// `a.b.c`, split at every dot.
    public init(dotted: String) {
        self.init(dotted.split(separator: ".", omittingEmptySubsequences: false).map(String.init))
    }

    /// The metadata field this path names, if it is one.
    public var metadata: Record.Metadata? {
        components.count == 1 ? Record.Metadata(rawValue: components[0]) : nil
    }

    /// Dotted, with components that need it in backticks: `a.b`, `` `a.b`.c ``.
    public var description: String {
        components.map { component in
            QueryText.isPlainName(component)
                ? component : "`" + component.split(separator: "`", omittingEmptySubsequences: false).joined(separator: "``") + "`"
        }.joined(separator: ".")
    }
}

/// A comparison of a field with a value.
public enum FilterOperator: String, Sendable, CaseIterable {
    case eq, ne, gt, gte, lt, lte
    case `in`
    case notIn = "not_in"
    case like

    /// The text form's spelling.
    public var symbol: String {
        switch self {
        case .eq: "="
        case .ne: "!="
        case .gt: ">"
        case .gte: ">="
        case .lt: "<"
        case .lte: "<="
        case .in: "in"
        case .notIn: "not in"
        case .like: "like"
        }
    }
}

/// A condition on records: comparisons combined with `and`, `or` and `not` to any depth.
///
/// What a comparison means, the same for every store (docs/data.md has the table):
///
/// * A **missing** field and JSON `null` are both "no value": `x = null` matches either; every
///   other comparison with no value is false (so `age > 18` does not match a record without
///   `age`), and `ne` / `not in` are exactly `not (=)` / `not (in)`, so they match it.
/// * Values compare only with values of their own kind: numbers with numbers (integers and
///   decimals by value: `1 = 1.0`), strings with strings (by Unicode code point, as SQLite's
///   BINARY collation), booleans with booleans (equality only). `age > 18` on `"age": "x"` is
///   false, and so is `age = "18"` on `"age": 18`.
/// * Arrays and objects never equal or order against anything; they match only `ne`/`not in`.
/// * `like` matches strings with SQL patterns: `%` any run of characters, `_` exactly one,
///   `\` makes the next character literal; case matters.
public indirect enum Filter: Sendable, Hashable {
    case compare(FieldPath, FilterOperator, JSONValue)
    case and([Filter])
    case or([Filter])
    case not(Filter)
}

/// The order of query results.
public enum SortOrder: String, Sendable, Hashable, CaseIterable {
    case asc, desc
}

/// A query: which records, in what order, which page.
public struct Query: Sendable, Hashable {
    public var filter: Filter?
    /// The field to sort by; nil sorts by id (creation order for generated ids).
    public var sortBy: FieldPath?
    public var order: SortOrder
    public var limit: Int?
    public var offset: Int

    public init(filter: Filter? = nil, sortBy: FieldPath? = nil, order: SortOrder = .asc, limit: Int? = nil, offset: Int = 0) {
        self.filter = filter
        self.sortBy = sortBy
        self.order = order
        self.limit = limit
        self.offset = offset
    }
}

/// A query that cannot be used, with where it went wrong: a column of the text form, or a path
/// into the structured form (`filter.and[1].op`).
public struct QueryError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    /// 1-based column in the text form.
    public var column: Int?
    /// Where in the structured form.
    public var location: String?

    public init(_ message: String, column: Int? = nil, location: String? = nil) {
        self.message = message
        self.column = column
        self.location = location
    }

    public var description: String {
        if let column { return "column \(column): \(message)" }
        if let location { return "\(location): \(message)" }
        return message
    }
}
