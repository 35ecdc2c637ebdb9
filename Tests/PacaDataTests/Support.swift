import Foundation
import PacaCore
import Synchronization
import Testing

@testable import PacaData

/// A clock a test moves by hand.
final class TestClock: Sendable {
    private let seconds = Mutex<Double>(1_764_288_000)
    var now: DataClock { { self.seconds.withLock { $0 } } }
    func advance(_ by: Double) { seconds.withLock { $0 += by } }
}

/// A fresh folder, removed afterwards.
final class Folder: Sendable {
    let path: String
    init(_ label: String = #function) {
        path = NSTemporaryDirectory() + "paca-data-\(label.filter(\.isLetter).prefix(24))-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Every kind of store, made the same way, so one suite runs against all of them.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case memory, file, sqlite, cache
    var testDescription: String { rawValue }

    static let indexed = [FieldPath(["age"]), FieldPath(["user", "city"]), FieldPath(["name"])]

    func make(in folder: Folder, clock: TestClock, indexed: [FieldPath] = StoreKind.indexed) async throws -> any DataStore {
        switch self {
        case .memory: return MemoryStore(indexed: indexed, clock: clock.now)
        case .file: return try await FileStore(path: folder.path + "/records.log", indexed: indexed, clock: clock.now)
        case .sqlite: return try await SQLiteStore(path: folder.path + "/records.sqlite", indexed: indexed, clock: clock.now)
        case .cache:
            let backing = try await SQLiteStore(path: folder.path + "/behind.sqlite", indexed: indexed, clock: clock.now)
            return CacheStore(backing: backing, capacity: 100, ttl: 60, clock: clock.now)
        }
    }
}

/// A small deterministic random source, so a failing property case can be replayed by its seed.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
