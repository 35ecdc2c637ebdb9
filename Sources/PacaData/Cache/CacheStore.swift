public import PacaCore

/// An LRU cache with a time to live in front of another store: `get` and `query` answers are
/// kept for `ttl` seconds (at most `capacity` of each); every write through the cache, or to the
/// store behind it through the ``DataManager``, drops what could have changed (the written id, and
/// every cached query). Writes pass straight through, so durability is the backing store's.
public actor CacheStore: DataStore {
    public nonisolated let kind = "cache"
    public nonisolated let backing: any DataStore
    let ttl: Double
    let clock: DataClock
    var records: LRUCache<String, Record>
    var queries: LRUCache<Query, [Record]>
    public private(set) var hits = 0
    public private(set) var misses = 0

    public init(backing: any DataStore, capacity: Int, ttl: Double, clock: @escaping DataClock) {
        self.backing = backing
        self.ttl = ttl
        self.clock = clock
        records = LRUCache(capacity: capacity)
        queries = LRUCache(capacity: max(1, capacity / 10))
    }

    public func put(_ data: JSONValue, type: Record.DataType?, id: String?) async throws(DataError) -> Record {
        let record = try await backing.put(data, type: type, id: id)
        invalidate(id: record.id)
        return record
    }

    public func get(_ id: String) async throws(DataError) -> Record {
        if let record = records.value(for: id, now: clock()) {
            hits += 1
            return record
        }
        misses += 1
        let generation = self.generation
        let record = try await backing.get(id)
        if generation == self.generation { records.set(record, for: id, expires: clock() + ttl) }
        return record
    }

    public func update(_ id: String, data: JSONValue, type: Record.DataType?, ifVersion: Int64?) async throws(DataError) -> Record {
        invalidate(id: id)
        let record = try await backing.update(id, data: data, type: type, ifVersion: ifVersion)
        invalidate(id: id)
        return record
    }

    public func delete(_ id: String, ifVersion: Int64?) async throws(DataError) -> Record {
        invalidate(id: id)
        let record = try await backing.delete(id, ifVersion: ifVersion)
        invalidate(id: id)
        return record
    }

    public func query(_ query: Query) async throws(DataError) -> [Record] {
        try RecordRules.check(query)
        if let answer = queries.value(for: query, now: clock()) {
            hits += 1
            return answer
        }
        misses += 1
        let generation = self.generation
        let answer = try await backing.query(query)
        // A write that came while the backing store answered makes this answer possibly stale.
        if generation == self.generation { queries.set(answer, for: query, expires: clock() + ttl) }
        return answer
    }

    public func count() async throws(DataError) -> Int { try await backing.count() }

    /// Grows on every invalidation, so an answer fetched across one is not cached.
    var generation = 0

    /// Forgets `id` (or every record when nil) and every cached query.
    public func invalidate(id: String?) {
        generation += 1
        if let id { records.remove(id) } else { records.removeAll() }
        queries.removeAll()
    }
}
