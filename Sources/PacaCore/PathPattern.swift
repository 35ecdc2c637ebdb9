/// A gitignore-style path pattern, used for a backup set's `exclude` list and for restore's `--include`.
///
/// The rules, in the order they apply:
///
/// * A pattern ending in `/` matches directories only (`__pycache__/`).
/// * A pattern with no other `/` matches the *name* of an entry at any depth (`*.tmp`, `wandb`).
/// * A pattern with a `/` inside is anchored: it matches the entry's whole relative path
///   (`data/raw/*`, `runs/**/events.*`). A leading `/` is allowed and means the same.
/// * `*` matches any run of characters except `/`, `?` one character except `/`, `[abc]`, `[a-z]`
///   and `[!abc]` one character from (or not from) a set, `**` as a whole component any number of
///   components (including none), and `\` makes the next character literal.
///
/// Characters are Unicode scalars, so `?` matches one Korean syllable as it matches one ASCII letter.
/// Matching costs O(pattern × path), whatever the pattern: no input makes it backtrack exponentially.
///
/// ```swift
/// let pattern = try PathPattern("*.tmp")
/// pattern.matches(path: "runs/a/x.tmp", isDirectory: false)   // true
/// ```
public struct PathPattern: Sendable, Hashable, CustomStringConvertible {
    /// The pattern as the user wrote it.
    public let text: String
    /// True when the pattern ends in `/` and so applies to directories only.
    public let isDirectoryOnly: Bool
    /// True when the pattern is matched against the whole path rather than against names.
    public let isAnchored: Bool
    private let components: [[Unicode.Scalar]]

    /// `text` with `*`, `?`, `[`, `]` and `\` escaped, so that as a pattern it matches itself only.
    public static func escaped(_ text: String) -> String {
        var out = ""
        for character in text {
            if "*?[]\\".contains(character) { out.append("\\") }
            out.append(character)
        }
        return out
    }

    /// Parses `text`, throwing ``PathPatternError`` for an empty pattern or an unclosed `[`.
    public init(_ text: String) throws(PathPatternError) {
        self.text = text
        var body = Substring(text)
        isDirectoryOnly = body.hasSuffix("/")
        while body.hasSuffix("/") { body = body.dropLast() }
        var anchored = body.hasPrefix("/")
        while body.hasPrefix("/") { body = body.dropFirst() }
        guard !body.isEmpty else { throw PathPatternError(pattern: text, reason: "the pattern is empty") }
        let parts = body.split(separator: "/", omittingEmptySubsequences: true)
        if parts.count > 1 { anchored = true }
        isAnchored = anchored
        components = parts.map { Array($0.unicodeScalars) }
        for component in components where !Self.bracketsAreBalanced(component) {
            throw PathPatternError(pattern: text, reason: "a '[' is not closed by ']'")
        }
    }

    public var description: String { text }

    /// Whether this pattern selects the entry at `path` (relative, `/`-separated, no leading `/`).
    ///
    /// Only the entry itself is tested; callers that want "this entry or anything under a selected
    /// directory" test each ancestor too (see ``matchesSelfOrAncestor(path:isDirectory:)``).
    public func matches(path: String, isDirectory: Bool) -> Bool {
        if isDirectoryOnly && !isDirectory { return false }
        let names = path.split(separator: "/", omittingEmptySubsequences: true)
        guard let last = names.last else { return false }
        if !isAnchored {
            return Self.matchComponent(components[0][...], Array(last.unicodeScalars)[...])
        }
        return Self.matchPath(components[...], names.map { Array($0.unicodeScalars) }[...])
    }

    /// Whether this pattern selects `path` or one of the directories that contain it.
    public func matchesSelfOrAncestor(path: String, isDirectory: Bool) -> Bool {
        if matches(path: path, isDirectory: isDirectory) { return true }
        var prefix = Substring(path)
        while let slash = prefix.lastIndex(of: "/") {
            prefix = prefix[..<slash]
            if matches(path: String(prefix), isDirectory: true) { return true }
        }
        return false
    }

    /// Whether the pattern's components match the path's names, `**` standing for any number of
    /// names. Dynamic programming over (pattern component, name) from the ends: O(components ×
    /// names) component matches however many `**` there are (backtracking was exponential in them).
    private static func matchPath(_ pattern: ArraySlice<[Unicode.Scalar]>, _ names: ArraySlice<[Unicode.Scalar]>) -> Bool {
        let pattern = Array(pattern)
        let names = Array(names)
        // next[j]: the components after the current one match names[j...].
        var next = [Bool](repeating: false, count: names.count + 1)
        next[names.count] = true
        var row = next
        for component in pattern.reversed() {
            if component == ["*", "*"] {
                row[names.count] = next[names.count]
                for j in stride(from: names.count - 1, through: 0, by: -1) { row[j] = next[j] || row[j + 1] }
            } else {
                row[names.count] = false
                for j in 0..<names.count { row[j] = next[j + 1] && matchComponent(component[...], names[j][...]) }
            }
            swap(&row, &next)
        }
        return next[0]
    }

    /// Matches one path component against one pattern component, with `*` backtracking.
    static func matchComponent(_ pattern: ArraySlice<Unicode.Scalar>, _ name: ArraySlice<Unicode.Scalar>) -> Bool {
        var p = pattern.startIndex
        var n = name.startIndex
        var starPattern: Int? = nil
        var starName = n
        while n < name.endIndex {
            if p < pattern.endIndex {
                switch pattern[p] {
                case "*":
                    starPattern = p
                    starName = n
                    p += 1
                    continue
                case "?":
                    p += 1
                    n += 1
                    continue
                case "[":
                    if let (matched, next) = matchBracket(pattern, at: p, name[n]), matched {
                        p = next
                        n += 1
                        continue
                    }
                case "\\" where p + 1 < pattern.endIndex:
                    if pattern[p + 1] == name[n] {
                        p += 2
                        n += 1
                        continue
                    }
                default:
                    if pattern[p] == name[n] {
                        p += 1
                        n += 1
                        continue
                    }
                }
            }
            guard let star = starPattern else { return false }
            p = star + 1
            starName += 1
            n = starName
        }
        while p < pattern.endIndex && pattern[p] == "*" { p += 1 }
        return p == pattern.endIndex
    }

    /// Matches `scalar` against the bracket expression starting at `start`; returns the index after `]`.
    private static func matchBracket(_ pattern: ArraySlice<Unicode.Scalar>, at start: Int, _ scalar: Unicode.Scalar) -> (Bool, Int)? {
        var i = start + 1
        var negated = false
        if i < pattern.endIndex && (pattern[i] == "!" || pattern[i] == "^") {
            negated = true
            i += 1
        }
        var matched = false
        var first = true
        while i < pattern.endIndex {
            let c = pattern[i]
            if c == "]" && !first { return (matched != negated, i + 1) }
            first = false
            if i + 2 < pattern.endIndex && pattern[i + 1] == "-" && pattern[i + 2] != "]" {
                if c.value <= scalar.value && scalar.value <= pattern[i + 2].value { matched = true }
                i += 3
            } else {
                if c == scalar { matched = true }
                i += 1
            }
        }
        return nil
    }

    private static func bracketsAreBalanced(_ component: [Unicode.Scalar]) -> Bool {
        var i = 0
        while i < component.count {
            if component[i] == "\\" {
                i += 2
                continue
            }
            if component[i] == "[" {
                var j = i + 1
                if j < component.count && (component[j] == "!" || component[j] == "^") { j += 1 }
                if j < component.count && component[j] == "]" { j += 1 }
                while j < component.count && component[j] != "]" { j += 1 }
                guard j < component.count else { return false }
                i = j + 1
                continue
            }
            i += 1
        }
        return true
    }
}

/// A pattern that could not be parsed; `reason` says what is wrong with `pattern`.
public struct PathPatternError: Error, Sendable, Equatable, CustomStringConvertible {
    public let pattern: String
    public let reason: String
    public var description: String { "pattern \"\(pattern)\": \(reason)" }
}

extension Array where Element == PathPattern {
    /// True when any pattern in the list matches `path` itself (exclude semantics).
    public func anyMatches(path: String, isDirectory: Bool) -> Bool {
        contains { $0.matches(path: path, isDirectory: isDirectory) }
    }
}
