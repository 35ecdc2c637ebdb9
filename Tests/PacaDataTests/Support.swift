import Foundation
import PacaCore
import PacaTestSupport
import Testing

@testable import PacaData

extension ManualClock {
    /// The wall time as a record store reads it.
    var dataClock: DataClock {
        let wall = self.wall
        return { wall.now() }
    }
}

/// Every kind of store, made the same way, so one suite runs against all of them.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case memory, file, sqlite, cache
    var testDescription: String { rawValue }

    static let indexed = [FieldPath(["age"]), FieldPath(["user", "city"]), FieldPath(["name"])]

    func make(in folder: TemporaryFolder, clock: ManualClock, indexed: [FieldPath] = StoreKind.indexed) async throws -> any DataStore {
        switch self {
        case .memory: return MemoryStore(indexed: indexed, clock: clock.dataClock)
        case .file: return try await FileStore(path: folder.path + "/records.log", indexed: indexed, clock: clock.dataClock)
        case .sqlite: return try await SQLiteStore(path: folder.path + "/records.sqlite", indexed: indexed, clock: clock.dataClock)
        case .cache:
            let backing = try await SQLiteStore(path: folder.path + "/behind.sqlite", indexed: indexed, clock: clock.dataClock)
            return CacheStore(backing: backing, capacity: 100, ttl: 60, clock: clock.dataClock)
        }
    }
}
