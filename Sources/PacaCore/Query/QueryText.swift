/// The text form of filters, for people:
///
///     age >= 18 and city = "서울" and status in ("active", "premium")
///     name like "Kim%" or not (tier = "free")
///     set = "training" and bytes_in > 1GB and finished_at >= 2026-11-01
///
/// * Comparisons `= != > >= < <=`, `in (...)`, `not in (...)`, `like`; `and` binds tighter than
///   `or`; `not` and parentheses as usual. Keywords are case-insensitive.
/// * Fields are dotted names of letters, digits, `_` and `-` (`user.address.city`); a component
///   with other characters goes in backticks (`` `file.name` ``, a backtick doubled inside).
/// * Values: double-quoted strings (`\"`, `\\`, `\n`, `\t`, `\u00e9`), numbers (`-3`, `2.5`,
///   `1e6`), `true`, `false`, `null` (`\%` and `\_` stay as written, for `like`); sizes `KB MB GB TB` (powers of 1000) and `KiB MiB GiB TiB`
///   (powers of 1024), any case; durations `90s 30m 6h 1d 2w 1h30m` (seconds); dates
///   `2026-11-01` and times `2026-11-01T02:00:00Z` (strings, in the form the records use, so they
///   order as times).
///
/// Errors name the 1-based column where the problem is.
public enum QueryText {
    public static func parse(_ text: String) throws(QueryError) -> Filter {
        var lexer = Lexer(text)
        var parser = Parser(tokens: try lexer.tokens(), end: text.unicodeScalars.count + 1)
        let filter = try parser.expression(depth: 0)
        if let extra = parser.peek {
            throw QueryError("unexpected \(extra.kind.display) after a complete condition", column: extra.column)
        }
        return filter
    }

    /// True when `name` can be written without backticks.
    public static func isPlainName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, !("0"..."9").contains(first), first != "-" else { return false }
        return !Keyword.all.contains(name.lowercased()) && name.unicodeScalars.allSatisfy(Lexer.isNameScalar)
    }

    enum Keyword {
        static let all: Set<String> = ["and", "or", "not", "in", "like", "true", "false", "null"]
    }

    struct Token {
        enum Kind {
            case name([String])
            case keyword(String)
            case value(JSONValue)
            case symbol(String)

            var display: String {
                switch self {
                case .name(let parts): "field \(FieldPath(parts))"
                case .keyword(let word): "\"\(word)\""
                case .value(let value): "value \(String(decoding: value.serialized, as: UTF8.self))"
                case .symbol(let symbol): "\"\(symbol)\""
                }
            }
        }

        var kind: Kind
        var column: Int
    }

    struct Lexer {
        let scalars: [Unicode.Scalar]
        var index = 0

        init(_ text: String) { scalars = Array(text.unicodeScalars) }

        static func isNameScalar(_ scalar: Unicode.Scalar) -> Bool {
            scalar == "_" || scalar == "-" || scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
        }

        mutating func tokens() throws(QueryError) -> [Token] {
            var tokens: [Token] = []
            while true {
                while index < scalars.count, scalars[index].properties.isWhitespace { index += 1 }
                guard index < scalars.count else { return tokens }
                let column = index + 1
                let scalar = scalars[index]
                switch scalar {
                case "(", ")", ",":
                    index += 1
                    tokens.append(Token(kind: .symbol(String(scalar)), column: column))
                case "=":
                    index += 1
                    if index < scalars.count, scalars[index] == "=" { index += 1 }
                    tokens.append(Token(kind: .symbol("="), column: column))
                case "!", "<", ">":
                    index += 1
                    if index < scalars.count, scalars[index] == "=" {
                        index += 1
                        tokens.append(Token(kind: .symbol(String(scalar) + "="), column: column))
                    } else if scalar == "<", index < scalars.count, scalars[index] == ">" {
                        index += 1
                        tokens.append(Token(kind: .symbol("!="), column: column))
                    } else if scalar == "!" {
                        throw QueryError("\"!\" on its own is not an operator; use != or not", column: column)
                    } else {
                        tokens.append(Token(kind: .symbol(String(scalar)), column: column))
                    }
                case "\"":
                    tokens.append(Token(kind: .value(.string(try string())), column: column))
                case "`":
                    tokens.append(Token(kind: .name(try path()), column: column))
                case "-", "0"..."9":
                    tokens.append(Token(kind: .value(try number()), column: column))
                default:
                    guard Self.isNameScalar(scalar) else {
                        throw QueryError("unexpected character \"\(scalar)\"", column: column)
                    }
                    let parts = try path()
                    if parts.count == 1, Keyword.all.contains(parts[0].lowercased()) {
                        let word = parts[0].lowercased()
                        switch word {
                        case "true": tokens.append(Token(kind: .value(.bool(true)), column: column))
                        case "false": tokens.append(Token(kind: .value(.bool(false)), column: column))
                        case "null": tokens.append(Token(kind: .value(.null), column: column))
                        default: tokens.append(Token(kind: .keyword(word), column: column))
                        }
                    } else {
                        tokens.append(Token(kind: .name(parts), column: column))
                    }
                }
            }
        }

        /// A dotted field path; components plain or in backticks.
        mutating func path() throws(QueryError) -> [String] {
            var parts: [String] = []
            while true {
                let column = index + 1
                if index < scalars.count, scalars[index] == "`" {
                    index += 1
                    var part = String.UnicodeScalarView()
                    while true {
                        guard index < scalars.count else { throw QueryError("a name in backticks is not closed", column: column) }
                        if scalars[index] == "`" {
                            if index + 1 < scalars.count, scalars[index + 1] == "`" {
                                part.append("`")
                                index += 2
                                continue
                            }
                            index += 1
                            break
                        }
                        part.append(scalars[index])
                        index += 1
                    }
                    parts.append(String(part))
                } else {
                    let start = index
                    while index < scalars.count, Self.isNameScalar(scalars[index]) { index += 1 }
                    guard index > start else { throw QueryError("expected a field name after \".\"", column: column) }
                    parts.append(String(String.UnicodeScalarView(scalars[start..<index])))
                }
                guard index < scalars.count, scalars[index] == "." else { return parts }
                index += 1
            }
        }

        mutating func string() throws(QueryError) -> String {
            let column = index + 1
            index += 1
            var result = String.UnicodeScalarView()
            while true {
                guard index < scalars.count else { throw QueryError("a string is not closed with \"", column: column) }
                let scalar = scalars[index]
                index += 1
                if scalar == "\"" { return String(result) }
                guard scalar == "\\" else {
                    result.append(scalar)
                    continue
                }
                guard index < scalars.count else { throw QueryError("a string ends in a lone \\", column: index) }
                let escaped = scalars[index]
                index += 1
                switch escaped {
                case "\"", "\\", "/": result.append(escaped)
                case "%", "_":
                    // Kept as written, so like patterns read naturally: "100\%" matches "100%".
                    result.append("\\")
                    result.append(escaped)
                case "n": result.append("\n")
                case "t": result.append("\t")
                case "r": result.append("\r")
                case "u":
                    guard index + 4 <= scalars.count,
                        let code = UInt32(String(String.UnicodeScalarView(scalars[index..<index + 4])), radix: 16),
                        let decoded = Unicode.Scalar(code)
                    else { throw QueryError("\\u needs four hex digits of a character", column: index - 1) }
                    result.append(decoded)
                    index += 4
                default:
                    throw QueryError("\\\(escaped) is not an escape; use \\\", \\\\, \\n, \\t or \\uXXXX", column: index - 1)
                }
            }
        }

        static let sizes: [String: Double] = [
            "b": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12, "pb": 1e15,
            "kib": 1024, "mib": 1_048_576, "gib": 1_073_741_824, "tib": 1_099_511_627_776,
        ]

        mutating func number() throws(QueryError) -> JSONValue {
            let column = index + 1
            let start = index
            if scalars[index] == "-" { index += 1 }
            guard index < scalars.count, ("0"..."9").contains(scalars[index]) else {
                throw QueryError("\"-\" must start a number", column: column)
            }
            // A date or time: 2026-11-01 or 2026-11-01T02:00:00Z.
            if scalars[start] != "-", index + 4 < scalars.count, scalars[index + 4] == "-",
                scalars[index..<index + 4].allSatisfy({ ("0"..."9").contains($0) })
            {
                while index < scalars.count, "0123456789-:TZ.+".unicodeScalars.contains(scalars[index]) { index += 1 }
                let text = String(String.UnicodeScalarView(scalars[start..<index]))
                if text.count == 10, let day = CivilTime(rfc3339: text + "T00:00:00Z") {
                    return .string(String(day.rfc3339.prefix(10)))
                }
                guard let time = CivilTime(rfc3339: text) else {
                    throw QueryError("\"\(text)\" is not a date (2026-11-01) or a time (2026-11-01T02:00:00Z)", column: column)
                }
                return .string(time.rfc3339)
            }
            while index < scalars.count,
                "0123456789.eE".unicodeScalars.contains(scalars[index])
                    || ((scalars[index] == "+" || scalars[index] == "-") && (scalars[index - 1] == "e" || scalars[index - 1] == "E"))
            {
                index += 1
            }
            let digits = String(String.UnicodeScalarView(scalars[start..<index]))
            let unitStart = index
            while index < scalars.count, scalars[index].properties.isAlphabetic || ("0"..."9").contains(scalars[index]) { index += 1 }
            let unit = String(String.UnicodeScalarView(scalars[unitStart..<index]))
            let isWhole = !digits.contains { $0 == "." || $0 == "e" || $0 == "E" }
            if unit.isEmpty {
                if isWhole, let whole = Int64(digits) { return .int(whole) }
                guard let number = Double(digits), number.isFinite else {
                    throw QueryError("\"\(digits)\" is not a number", column: column)
                }
                return .double(number)
            }
            if let factor = Self.sizes[unit.lowercased()], let number = Double(digits) {
                let bytes = (number * factor).rounded()
                guard bytes.magnitude < 9.2e18 else { throw QueryError("\"\(digits)\(unit)\" is too large", column: column) }
                return .int(Int64(bytes))
            }
            if isWhole, let seconds = DurationText.seconds(digits.hasPrefix("-") ? String(digits.dropFirst()) + unit : digits + unit) {
                return .int(digits.hasPrefix("-") ? -seconds : seconds)
            }
            throw QueryError(
                "\"\(digits)\(unit)\" has an unknown unit \"\(unit)\"; sizes are B, KB, MB, GB, TB (or KiB, MiB, GiB, TiB), durations s, m, h, d, w",
                column: unitStart + 1)
        }
    }

    struct Parser {
        let tokens: [Token]
        let end: Int
        var index = 0
        static let maximumDepth = 64

        var peek: Token? { index < tokens.count ? tokens[index] : nil }

        mutating func take() -> Token? {
            defer { index += 1 }
            return peek
        }

        func isKeyword(_ word: String) -> Bool {
            if case .keyword(word)? = peek?.kind { return true }
            return false
        }

        func isSymbol(_ symbol: String) -> Bool {
            if case .symbol(symbol)? = peek?.kind { return true }
            return false
        }

        var column: Int { peek?.column ?? end }

        mutating func expression(depth: Int) throws(QueryError) -> Filter {
            guard depth < Self.maximumDepth else { throw QueryError("nested more than \(Self.maximumDepth) deep", column: column) }
            var terms = [try conjunction(depth: depth)]
            while isKeyword("or") {
                index += 1
                terms.append(try conjunction(depth: depth))
            }
            return terms.count == 1 ? terms[0] : .or(terms)
        }

        mutating func conjunction(depth: Int) throws(QueryError) -> Filter {
            var terms = [try negation(depth: depth)]
            while isKeyword("and") {
                index += 1
                terms.append(try negation(depth: depth))
            }
            return terms.count == 1 ? terms[0] : .and(terms)
        }

        mutating func negation(depth: Int) throws(QueryError) -> Filter {
            if isKeyword("not") {
                index += 1
                guard depth + 1 < Self.maximumDepth else { throw QueryError("nested more than \(Self.maximumDepth) deep", column: column) }
                return .not(try negation(depth: depth + 1))
            }
            if isSymbol("(") {
                let open = column
                index += 1
                let inner = try expression(depth: depth + 1)
                guard isSymbol(")") else {
                    throw QueryError("expected \")\" to close the \"(\" at column \(open)", column: column)
                }
                index += 1
                return inner
            }
            return try comparison()
        }

        mutating func comparison() throws(QueryError) -> Filter {
            guard let token = take() else { throw QueryError("expected a condition like name = \"x\"", column: end) }
            guard case .name(let parts) = token.kind else {
                throw QueryError("expected a field name, found \(token.kind.display)", column: token.column)
            }
            let path = FieldPath(parts)
            let opColumn = column
            guard let opToken = take() else {
                throw QueryError("expected an operator (= != > >= < <= in, not in, like) after \(path)", column: end)
            }
            let op: FilterOperator
            switch opToken.kind {
            case .symbol("="): op = .eq
            case .symbol("!="): op = .ne
            case .symbol(">"): op = .gt
            case .symbol(">="): op = .gte
            case .symbol("<"): op = .lt
            case .symbol("<="): op = .lte
            case .keyword("in"): op = .in
            case .keyword("like"): op = .like
            case .keyword("not"):
                guard isKeyword("in") else { throw QueryError("expected \"in\" after \"not\" here", column: column) }
                index += 1
                op = .notIn
            default:
                throw QueryError("expected an operator (= != > >= < <= in, not in, like), found \(opToken.kind.display)", column: opColumn)
            }
            let valueColumn = column
            let value: JSONValue
            if op == .in || op == .notIn {
                guard isSymbol("(") else { throw QueryError("\(op.symbol) needs a list in parentheses: (\"a\", \"b\")", column: column) }
                index += 1
                var items: [JSONValue] = []
                while !isSymbol(")") {
                    if !items.isEmpty {
                        guard isSymbol(",") else { throw QueryError("expected \",\" or \")\" in the list", column: column) }
                        index += 1
                    }
                    items.append(try literal())
                }
                index += 1
                value = .array(items)
            } else {
                value = try literal()
            }
            if let problem = Filter.problem(op, value, naming: op.symbol) {
                throw QueryError(problem, column: valueColumn)
            }
            return .compare(path, op, value)
        }

        mutating func literal() throws(QueryError) -> JSONValue {
            guard let token = take() else { throw QueryError("expected a value", column: end) }
            guard case .value(let value) = token.kind else {
                if case .name(let parts) = token.kind {
                    throw QueryError("expected a value, found \(FieldPath(parts)); put text in double quotes", column: token.column)
                }
                throw QueryError("expected a value, found \(token.kind.display)", column: token.column)
            }
            return value
        }
    }
}
