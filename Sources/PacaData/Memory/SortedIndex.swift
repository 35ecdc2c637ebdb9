import PacaCore

/// Entries `(key, id)` kept in order, in chunks of a few hundred so inserting and removing cost
/// a binary search and a short move rather than shifting the whole index.
struct SortedIndex<Key: Comparable & Sendable>: Sendable {
    struct Entry: Sendable {
        var key: Key
        var id: String

        func precedes(_ other: Entry) -> Bool {
            if key != other.key { return key < other.key }
            return ValueRules.compareBytes(id, other.id) < 0
        }
    }

    static var chunkLimit: Int { 512 }
    private(set) var chunks: [[Entry]] = []
    private(set) var count = 0

    mutating func insert(_ key: Key, id: String) {
        let entry = Entry(key: key, id: id)
        guard !chunks.isEmpty else {
            chunks = [[entry]]
            count = 1
            return
        }
        let chunk = chunkIndex(for: entry)
        let position = Self.position(of: entry, in: chunks[chunk])
        chunks[chunk].insert(entry, at: position)
        count += 1
        if chunks[chunk].count > Self.chunkLimit {
            let upper = Array(chunks[chunk][(Self.chunkLimit / 2)...])
            chunks[chunk].removeSubrange((Self.chunkLimit / 2)...)
            chunks.insert(upper, at: chunk + 1)
        }
    }

    mutating func remove(_ key: Key, id: String) {
        guard !chunks.isEmpty else { return }
        let entry = Entry(key: key, id: id)
        let chunk = chunkIndex(for: entry)
        let position = Self.position(of: entry, in: chunks[chunk])
        guard position < chunks[chunk].count, chunks[chunk][position].key == key, chunks[chunk][position].id == id else { return }
        chunks[chunk].remove(at: position)
        count -= 1
        if chunks[chunk].isEmpty { chunks.remove(at: chunk) }
    }

    /// Ids of entries with keys in the range, in key order (ties by id).
    func ids(from lower: Key?, inclusive lowerInclusive: Bool, to upper: Key?, inclusive upperInclusive: Bool) -> [String] {
        var result: [String] = []
        walk(from: lower, inclusive: lowerInclusive, to: upper, inclusive: upperInclusive, descending: false) {
            result.append($0.id)
            return true
        }
        return result
    }

    /// Visits entries with keys in the range, in key-then-id order (or its reverse), until `visit`
    /// returns false.
    func walk(
        from lower: Key?, inclusive lowerInclusive: Bool, to upper: Key?, inclusive upperInclusive: Bool, descending: Bool,
        _ visit: (Entry) -> Bool
    ) {
        func inRange(_ key: Key) -> Bool {
            if let lower, key < lower || (!lowerInclusive && key == lower) { return false }
            if let upper, key > upper || (!upperInclusive && key == upper) { return false }
            return true
        }
        let ordered: [[Entry]] = descending ? chunks.reversed() : chunks
        for chunk in ordered {
            guard let first = chunk.first, let last = chunk.last else { continue }
            if descending {
                if let upper, first.key > upper { continue }
                if let lower, last.key < lower { return }
            } else {
                if let lower, last.key < lower { continue }
                if let upper, first.key > upper { return }
            }
            if descending {
                for entry in chunk.reversed() where inRange(entry.key) {
                    if !visit(entry) { return }
                }
            } else {
                for entry in chunk where inRange(entry.key) {
                    if !visit(entry) { return }
                }
            }
        }
    }

    private func chunkIndex(for entry: Entry) -> Int {
        var low = 0, high = chunks.count - 1
        while low < high {
            let middle = (low + high) / 2
            if chunks[middle].last!.precedes(entry) { low = middle + 1 } else { high = middle }
        }
        return low
    }

    private static func position(of entry: Entry, in chunk: [Entry]) -> Int {
        var low = 0, high = chunk.count
        while low < high {
            let middle = (low + high) / 2
            if chunk[middle].precedes(entry) { low = middle + 1 } else { high = middle }
        }
        return low
    }
}

/// A string key ordered by code points (UTF-8 bytes), as the query rules order strings.
struct ByteOrderedString: Comparable, Sendable, Hashable {
    var text: String
    static func < (a: Self, b: Self) -> Bool { ValueRules.compareBytes(a.text, b.text) < 0 }
    static func == (a: Self, b: Self) -> Bool { a.text.utf8.elementsEqual(b.text.utf8) }
    func hash(into hasher: inout Hasher) { hasher.combine(Array(text.utf8)) }
}
