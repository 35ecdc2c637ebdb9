public import PacaCatalog
public import PacaConfig
import PacaCore
public import PacaData
public import PacaSystem

extension DataManager {
    /// Opens the stores `config` declares, plus the backup catalog as the read-only store
    /// `catalog`. A store that cannot open stops the daemon with its name and the reason.
    public static func open(_ stores: [DaemonConfig.Store], catalog: Catalog, clock: WallClock) async throws(DataError) -> DataManager {
        var opened: [String: any DataStore] = ["catalog": catalog.store]
        var backing: [String: String] = [:]
        let now: DataClock = { clock.now() }
        for store in stores {
            let index = store.index.map { FieldPath(dotted: $0) }
            do throws(DataError) {
                switch store.kind {
                case .memory:
                    opened[store.name] = MemoryStore(indexed: index, clock: now)
                case .file(let path):
                    try await makeFolder(of: path)
                    opened[store.name] = try await FileStore(path: path, indexed: index, clock: now)
                case .sqlite(let path):
                    try await makeFolder(of: path)
                    opened[store.name] = try await SQLiteStore(path: path, indexed: index, clock: now)
                case .cache:
                    break
                }
            } catch {
                throw DataError(.storage, "store \"\(store.name)\" cannot be opened: \(error.message)", underlying: error)
            }
        }
        for store in stores {
            guard case .cache(let of, let capacity, let ttl) = store.kind, let behind = opened[of] else { continue }
            opened[store.name] = CacheStore(backing: behind, capacity: capacity, ttl: Double(ttl), clock: now)
            backing[store.name] = of
        }
        return DataManager(stores: opened, backing: backing, readOnly: ["catalog"])
    }

    private static func makeFolder(of path: String) async throws(DataError) {
        let folder = PathText.directory(of: path)
        do { try await BlockingPool.shared.run { () throws(SystemError) in try DurableFile.makeDirectories(folder) } } catch {
            throw DataError(.storage, "\(folder) cannot be made: \(error)", underlying: error)
        }
    }
}
