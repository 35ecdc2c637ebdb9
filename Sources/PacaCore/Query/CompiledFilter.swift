/// A filter turned into closures once per query, so a scan over many records does not re-read
/// the filter tree or re-analyse `like` patterns for every record. It means exactly what
/// ``Filter/matches(_:)`` means (the tests compare the two on random filters).
public struct CompiledFilter: Sendable {
    private let test: @Sendable (Record) -> Bool

    public init(_ filter: Filter) {
        test = Self.compile(filter)
    }

    public func matches(_ record: Record) -> Bool { test(record) }

    private static func compile(_ filter: Filter) -> @Sendable (Record) -> Bool {
        switch filter {
        case .and(let filters):
            let parts = filters.map(compile)
            return { record in parts.allSatisfy { $0(record) } }
        case .or(let filters):
            let parts = filters.map(compile)
            return { record in parts.contains { $0(record) } }
        case .not(let inner):
            let part = compile(inner)
            return { record in !part(record) }
        case .compare(let path, let op, let value):
            switch op {
            case .eq: return { ValueRules.equal($0.value(at: path), value) }
            case .ne: return { !ValueRules.equal($0.value(at: path), value) }
            case .gt: return { ValueRules.order($0.value(at: path), value).map { $0 > 0 } ?? false }
            case .gte: return { ValueRules.order($0.value(at: path), value).map { $0 >= 0 } ?? false }
            case .lt: return { ValueRules.order($0.value(at: path), value).map { $0 < 0 } ?? false }
            case .lte: return { ValueRules.order($0.value(at: path), value).map { $0 <= 0 } ?? false }
            case .in:
                let items = value.arrayElements
                return { record in
                    let field = record.value(at: path)
                    return items.contains { ValueRules.equal(field, $0) }
                }
            case .notIn:
                let items = value.arrayElements
                return { record in
                    let field = record.value(at: path)
                    return !items.contains { ValueRules.equal(field, $0) }
                }
            case .like:
                guard case .string(let pattern) = value else { return { _ in false } }
                let matcher = LikeMatcher(pattern)
                return { record in
                    guard case .string(let text)? = record.value(at: path) else { return false }
                    return matcher.matches(text)
                }
            }
        }
    }
}

/// A `like` pattern prepared once: literal byte pieces between `%` when the pattern has no `_`
/// and no escapes (the usual case, matched on UTF-8 bytes without copying), else the general
/// matcher over Unicode scalars.
struct LikeMatcher: Sendable {
    let pieces: [[UInt8]]?
    let tokens: [LikeToken]

    init(_ pattern: String) {
        let simple = !pattern.utf8.contains { $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "\\") }
        pieces = simple ? pattern.utf8.split(separator: UInt8(ascii: "%"), omittingEmptySubsequences: false).map(Array.init) : nil
        tokens = LikeToken.tokens(pattern)
    }

    func matches(_ text: String) -> Bool {
        guard let pieces else { return ValueRules.like(Array(text.unicodeScalars), tokens: tokens) }
        var text = text
        return text.withUTF8 { Self.match(UnsafeRawBufferPointer($0), pieces) }
    }

    static func match(_ text: UnsafeRawBufferPointer, _ pieces: [[UInt8]]) -> Bool {
        if pieces.count == 1 { return text.elementsEqual(pieces[0]) }
        let first = pieces[0], last = pieces[pieces.count - 1]
        guard text.count >= first.count + last.count else { return false }
        guard text.prefix(first.count).elementsEqual(first), text.suffix(last.count).elementsEqual(last) else { return false }
        var start = first.count
        let end = text.count - last.count
        for piece in pieces[1..<(pieces.count - 1)] where !piece.isEmpty {
            var found = false
            while start + piece.count <= end {
                if text[start] == piece[0], text[start..<(start + piece.count)].elementsEqual(piece) {
                    start += piece.count
                    found = true
                    break
                }
                start += 1
            }
            if !found { return false }
        }
        return true
    }
}
