import PacaCore

/// Records in memory with secondary indexes on declared fields: the state behind the memory and
/// file stores. An equality, `in` or range comparison on an indexed field finds its candidates in
/// the index instead of looking at every record; the full filter then runs on the candidates
/// only, so the answer is always the reference one.
struct RecordTable: Sendable {
    /// One indexed field: numbers and strings in order (for ranges and sorted walks), booleans by value.
    struct FieldIndex: Sendable {
        var numbers = SortedIndex<Double>()
        var strings = SortedIndex<ByteOrderedString>()
        var booleans: [Bool: Set<String>] = [:]

        mutating func add(_ value: JSONValue?, id: String) {
            switch value {
            case .int(let number)?: numbers.insert(Double(number), id: id)
            case .double(let number)?: numbers.insert(number, id: id)
            case .string(let text)?: strings.insert(ByteOrderedString(text: text), id: id)
            case .bool(let flag)?: booleans[flag, default: []].insert(id)
            default: break
            }
        }

        mutating func remove(_ value: JSONValue?, id: String) {
            switch value {
            case .int(let number)?: numbers.remove(Double(number), id: id)
            case .double(let number)?: numbers.remove(number, id: id)
            case .string(let text)?: strings.remove(ByteOrderedString(text: text), id: id)
            case .bool(let flag)?: booleans[flag]?.remove(id)
            default: break
            }
        }

        /// Ids whose value may satisfy `op value`, or nil when the index cannot tell.
        func candidates(_ op: FilterOperator, _ value: JSONValue) -> [String]? {
            switch (op, value) {
            case (.eq, .bool(let flag)): return Array(booleans[flag] ?? [])
            case (.eq, _), (.gt, _), (.gte, _), (.lt, _), (.lte, _): break
            case (.in, .array(let items)):
                var ids: [String] = []
                for item in items {
                    guard let found = candidates(.eq, item) else { return nil }
                    ids += found
                }
                return ids
            default: return nil
            }
            let lowerInclusive = op == .eq || op == .gte
            let upperInclusive = op == .eq || op == .lte
            let hasLower = op == .eq || op == .gt || op == .gte
            let hasUpper = op == .eq || op == .lt || op == .lte
            switch value {
            case .int(let number):
                let key = Double(number)
                return numbers.ids(from: hasLower ? key : nil, inclusive: lowerInclusive, to: hasUpper ? key : nil, inclusive: upperInclusive)
            case .double(let key):
                return numbers.ids(from: hasLower ? key : nil, inclusive: lowerInclusive, to: hasUpper ? key : nil, inclusive: upperInclusive)
            case .string(let text):
                let key = ByteOrderedString(text: text)
                return strings.ids(from: hasLower ? key : nil, inclusive: lowerInclusive, to: hasUpper ? key : nil, inclusive: upperInclusive)
            default:
                return nil  // null matches missing fields, which no index lists
            }
        }
    }

    private(set) var records: [String: Record] = [:]
    private(set) var indexes: [FieldPath: FieldIndex] = [:]

    init(indexed: [FieldPath]) {
        for path in indexed { indexes[path] = FieldIndex() }
    }

    var count: Int { records.count }

    /// Every record, in id order.
    var allRecords: [Record] { records.values.sorted { ValueRules.compareBytes($0.id, $1.id) < 0 } }

    subscript(id: String) -> Record? { records[id] }

    mutating func store(_ record: Record) {
        if let old = records[record.id] { unindex(old) }
        records[record.id] = record
        for (path, _) in indexes { indexes[path]!.add(record.value(at: path), id: record.id) }
    }

    @discardableResult
    mutating func remove(_ id: String) -> Record? {
        guard let old = records.removeValue(forKey: id) else { return nil }
        unindex(old)
        return old
    }

    private mutating func unindex(_ record: Record) {
        for (path, _) in indexes { indexes[path]!.remove(record.value(at: path), id: record.id) }
    }

    /// The reference answer, computed over the candidates the indexes allow.
    func answer(_ query: Query) -> [Record] {
        guard let filter = query.filter, let ids = candidates(filter) else { return query.answer(from: records.values) }
        var seen = Set<String>()
        var found: [Record] = []
        found.reserveCapacity(ids.count)
        for id in ids where seen.insert(id).inserted {
            if let record = records[id] { found.append(record) }
        }
        return query.answer(from: found)
    }

    /// Ids that include every record `filter` can match, or nil when only a scan can tell.
    func candidates(_ filter: Filter) -> [String]? {
        switch filter {
        case .compare(let path, let op, let value):
            return indexes[path]?.candidates(op, value)
        case .and(let filters):
            // The narrowest indexed conjunct bounds the whole.
            return filters.compactMap { candidates($0) }.min { $0.count < $1.count }
        case .or(let filters):
            var ids: [String] = []
            for filter in filters {
                guard let found = candidates(filter) else { return nil }
                ids += found
            }
            return ids
        case .not:
            return nil
        }
    }
}
