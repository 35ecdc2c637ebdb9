import Dispatch
import PacaCore
import PacaSystem

/// Buffers handed to `concurrentPerform`'s workers, each touching only its own part.
private struct UnsafeSendableBuffer: @unchecked Sendable {
    let base: UnsafeMutableBufferPointer<[Record]>
    init(_ base: UnsafeMutableBufferPointer<[Record]>) { self.base = base }
}

private struct UnsafeSendableRows: @unchecked Sendable {
    let base: UnsafeBufferPointer<Record>
    init(_ base: UnsafeBufferPointer<Record>) { self.base = base }
}

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
                return numbers.ids(
                    from: hasLower ? key : nil, inclusive: lowerInclusive, to: hasUpper ? key : nil, inclusive: upperInclusive)
            case .double(let key):
                return numbers.ids(
                    from: hasLower ? key : nil, inclusive: lowerInclusive, to: hasUpper ? key : nil, inclusive: upperInclusive)
            case .string(let text):
                let key = ByteOrderedString(text: text)
                return strings.ids(
                    from: hasLower ? key : nil, inclusive: lowerInclusive, to: hasUpper ? key : nil, inclusive: upperInclusive)
            default:
                return nil  // null matches missing fields, which no index lists
            }
        }
    }

    /// Records in one contiguous array (a scan walks memory in order and splits across cores),
    /// with each id's position; a removal moves the last record into the hole.
    private(set) var rows: ContiguousArray<Record> = []
    private var positions: [String: Int] = [:]
    private(set) var indexes: [FieldPath: FieldIndex] = [:]

    init(indexed: [FieldPath]) {
        for path in indexed { indexes[path] = FieldIndex() }
    }

    var count: Int { rows.count }

    /// Every record, in id order.
    var allRecords: [Record] { rows.sorted { ValueRules.compareBytes($0.id, $1.id) < 0 } }

    subscript(id: String) -> Record? { positions[id].map { rows[$0] } }

    mutating func store(_ record: Record) {
        if let position = positions[record.id] {
            unindex(rows[position])
            rows[position] = record
        } else {
            positions[record.id] = rows.count
            rows.append(record)
        }
        for (path, _) in indexes { indexes[path]!.add(record.value(at: path), id: record.id) }
    }

    @discardableResult
    mutating func remove(_ id: String) -> Record? {
        guard let position = positions.removeValue(forKey: id) else { return nil }
        let old = rows[position]
        let last = rows.removeLast()
        if position < rows.count {
            rows[position] = last
            positions[last.id] = position
        }
        unindex(old)
        return old
    }

    private mutating func unindex(_ record: Record) {
        for (path, _) in indexes { indexes[path]!.remove(record.value(at: path), id: record.id) }
    }

    /// The reference answer, computed over the candidates the indexes allow with the filter
    /// compiled once.
    func answer(_ query: Query) -> [Record] {
        if let walked = walk(query) { return walked }
        let compiled = query.filter.map(CompiledFilter.init)
        var found: [Record] = []
        if let filter = query.filter, let ids = candidates(filter) {
            var seen = Set<String>()
            found.reserveCapacity(ids.count)
            for id in ids where seen.insert(id).inserted {
                if let record = self[id], compiled?.matches(record) ?? true { found.append(record) }
            }
        } else if let compiled {
            found = scan(compiled)
        } else {
            found = Array(rows)
        }
        query.sort(&found)
        return query.page(found)
    }

    /// Every record `filter` matches, looking at all of them: split across the CPUs when there are
    /// many, each part collecting its own matches.
    func scan(_ filter: CompiledFilter) -> [Record] {
        let parts = rows.count >= 20_000 ? min(8, max(1, Self.processors)) : 1
        guard parts > 1 else { return rows.filter(filter.matches) }
        let size = (rows.count + parts - 1) / parts
        var found = [[Record]](repeating: [], count: parts)
        rows.withUnsafeBufferPointer { all in
            found.withUnsafeMutableBufferPointer { results in
                let results = UnsafeSendableBuffer(results)
                let all = UnsafeSendableRows(all)
                DispatchQueue.concurrentPerform(iterations: parts) { part in
                    let range = (part * size)..<min(all.base.count, (part + 1) * size)
                    results.base[part] = all.base[range].filter(filter.matches)
                }
            }
        }
        return found.flatMap { $0 }
    }

    static let processors = SystemThread.processorCount

    /// A sorted, limited query on an indexed field that the filter pins to numbers or strings:
    /// the index is walked in the asked order from the filter's bounds, and the walk stops once
    /// `offset + limit` records matched, instead of collecting and sorting every match. Entries
    /// are ordered by value then id, which is the sort rule within one kind.
    func walk(_ query: Query) -> [Record]? {
        guard let path = query.sortBy, let limit = query.limit, let index = indexes[path], let filter = query.filter,
            let kind = query.guaranteedKind(of: path)
        else { return nil }
        let wanted = query.offset + limit
        var found: [Record] = []
        let descending = query.order == .desc
        let compiled = CompiledFilter(filter)
        func take(_ id: String) -> Bool {
            if let record = self[id], compiled.matches(record) { found.append(record) }
            return found.count < wanted
        }
        switch kind {
        case .number:
            let (lower, upper) = Self.bounds(of: path, in: filter) { value -> Double? in
                switch value {
                case .int(let number): Double(number)
                case .double(let number): number
                default: nil
                }
            }
            index.numbers.walk(
                from: lower?.0, inclusive: lower?.1 ?? true, to: upper?.0, inclusive: upper?.1 ?? true, descending: descending
            ) { take($0.id) }
        case .string:
            let (lower, upper) = Self.bounds(of: path, in: filter) { value -> ByteOrderedString? in
                if case .string(let text) = value { ByteOrderedString(text: text) } else { nil }
            }
            index.strings.walk(
                from: lower?.0, inclusive: lower?.1 ?? true, to: upper?.0, inclusive: upper?.1 ?? true, descending: descending
            ) { take($0.id) }
        }
        return query.page(found)
    }

    /// The tightest bounds the top-level comparisons of `filter` put on `path` (each with whether
    /// it is inclusive); the walk uses them to start and stop, and the full filter still decides.
    static func bounds<Key: Comparable>(
        of path: FieldPath, in filter: Filter, key: (JSONValue) -> Key?
    ) -> (lower: (Key, Bool)?, upper: (Key, Bool)?) {
        let terms: [Filter]
        if case .and(let all) = filter { terms = all } else { terms = [filter] }
        var lower: (Key, Bool)?
        var upper: (Key, Bool)?
        for term in terms {
            guard case .compare(path, let op, let value) = term, let bound = key(value) else { continue }
            if op == .gt || op == .gte || op == .eq, lower.map({ bound > $0.0 }) ?? true { lower = (bound, op != .gt) }
            if op == .lt || op == .lte || op == .eq, upper.map({ bound < $0.0 }) ?? true { upper = (bound, op != .lt) }
        }
        return (lower, upper)
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
