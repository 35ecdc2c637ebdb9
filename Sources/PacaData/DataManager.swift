public import PacaCore

/// The record stores by name, as the `data.*` methods reach them. Writes go through here so that
/// a cache in front of a store also forgets what a write to that store changed; stores named as
/// read-only (the backup catalog) answer queries and gets only.
public final class DataManager: Sendable {
    public let stores: [String: any DataStore]
    /// The caches in front of each store, by the store's name.
    private let caches: [String: [CacheStore]]
    /// The store each cache sits in front of, by the cache's name.
    private let backing: [String: String]
    private let readOnly: Set<String>

    /// `backing` maps each cache's name to the store it sits in front of.
    public init(stores: [String: any DataStore], backing: [String: String] = [:], readOnly: Set<String> = []) {
        self.stores = stores
        var caches: [String: [CacheStore]] = [:]
        for (cache, behind) in backing {
            if let store = stores[cache] as? CacheStore { caches[behind, default: []].append(store) }
        }
        self.caches = caches
        self.backing = backing
        self.readOnly = readOnly
    }

    public var names: [String] { stores.keys.sorted() }

    public func store(_ name: String) throws(DataError) -> any DataStore {
        guard let store = stores[name] else {
            throw DataError(.notFound, "no store named \"\(name)\" (stores: \(names.joined(separator: ", ")))")
        }
        return store
    }

    private func writable(_ name: String) throws(DataError) -> any DataStore {
        let store = try store(name)
        guard !readOnly.contains(name) else { throw DataError(.invalid, "store \"\(name)\" is read-only here") }
        return store
    }

    public func put(_ name: String, _ data: JSONValue, type: Record.DataType?) async throws(DataError) -> Record {
        let record = try await writable(name).put(data, type: type, id: nil)
        await invalidate(behind: name, id: record.id)
        return record
    }

    public func get(_ name: String, _ id: String) async throws(DataError) -> Record {
        try await store(name).get(id)
    }

    public func update(_ name: String, _ id: String, data: JSONValue, type: Record.DataType?, ifVersion: Int64?) async throws(DataError)
        -> Record
    {
        let store = try writable(name)
        do {
            let record = try await store.update(id, data: data, type: type, ifVersion: ifVersion)
            await invalidate(behind: name, id: id)
            return record
        } catch {
            await invalidate(behind: name, id: id)
            throw error
        }
    }

    public func delete(_ name: String, _ id: String, ifVersion: Int64?) async throws(DataError) -> Record {
        let record = try await writable(name).delete(id, ifVersion: ifVersion)
        await invalidate(behind: name, id: id)
        return record
    }

    public func query(_ name: String, _ query: Query) async throws(DataError) -> [Record] {
        try await store(name).query(query)
    }

    /// Caches in front of the store a write went to forget `id` and their queries (a write through
    /// a cache reaches the other caches in front of the same store; the cache itself already forgot).
    private func invalidate(behind name: String, id: String) async {
        let written = stores[name] as? CacheStore
        for cache in caches[backing[name] ?? name] ?? [] where cache !== written { await cache.invalidate(id: id) }
    }
}
