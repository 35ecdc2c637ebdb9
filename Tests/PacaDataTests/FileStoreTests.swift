import Foundation
import PacaCore
import PacaTestSupport
import Testing

@testable import PacaData

@Suite struct FileStoreTests {
    static func append(_ bytes: [UInt8], to path: String) {
        let handle = FileHandle(forWritingAtPath: path)!
        handle.seekToEndOfFile()
        handle.write(Data(bytes))
        try? handle.close()
    }

    @Test func aTornLastWriteIsCutOffAndEverythingAcknowledgedSurvives() async throws {
        let folder = TemporaryFolder()
        let path = folder.path + "/records.log"
        let clock = ManualClock()
        var ids: [String] = []
        do {
            let store = try await FileStore(path: path, clock: clock.dataClock)
            for index in 0..<50 { ids.append(try await store.put(.object(["n": .int(Int64(index))]), type: nil, id: nil).id) }
            _ = try await store.update(ids[0], data: .object(["n": .int(100)]), type: nil, ifVersion: 1)
            _ = try await store.delete(ids[1], ifVersion: nil)
        }
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        // A crash in the middle of the next append: its frame is cut short.
        let torn = RecordLog.putFrame(Record(id: "torn", data: .string("x"), type: .string, createdAt: 0, updatedAt: 0))
        Self.append(Array(torn.prefix(torn.count - 3)), to: path)
        let reopened = try await FileStore(path: path, clock: clock.dataClock)
        #expect(reopened.recoveredBytes == torn.count - 3)
        #expect(await reopened.count() == 49)
        #expect(try await reopened.get(ids[0]).data == .object(["n": .int(100)]))
        #expect(try await reopened.get(ids[0]).version == 2)
        await #expect(throws: DataError.self) { try await reopened.get(ids[1]) }
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int == size)
        // Zeros where a write never landed (a power cut after the size grew) count as torn too.
        Self.append([UInt8](repeating: 0, count: 4096), to: path)
        #expect(await (try FileStore(path: path, clock: clock.dataClock)).count() == 49)
    }

    @Test func damageBeforeTheEndStopsTheStoreAndNamesTheByte() async throws {
        let folder = TemporaryFolder()
        let path = folder.path + "/records.log"
        do {
            let store = try await FileStore(path: path, clock: ManualClock().dataClock)
            for index in 0..<3 { _ = try await store.put(.int(Int64(index)), type: nil, id: "r\(index)") }
        }
        var bytes = Array(FileManager.default.contents(atPath: path)!)
        let second = 8 + Int(RecordLog.readBigEndian(bytes, 0))
        bytes[second + 12] ^= 0xFF  // inside the second entry's payload
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        await #expect(
            throws: DataError(
                .storage,
                "the log \(path) is damaged at byte \(second) (not a cut-off last write); move it aside to start empty, or restore it from a backup"
            )
        ) {
            try await FileStore(path: path, clock: ManualClock().dataClock)
        }
        #expect(Array(FileManager.default.contents(atPath: path)!) == bytes, "nothing was cut off")
    }

    @Test func compactionKeepsOnlyLiveRecordsAndReopensTheSame() async throws {
        let folder = TemporaryFolder()
        let path = folder.path + "/records.log"
        let store = try await FileStore(path: path, indexed: [FieldPath(["n"])], clock: ManualClock().dataClock)
        let id = try await store.put(.object(["n": .int(0)]), type: nil, id: nil).id
        let padding = String(repeating: "x", count: 2000)
        for round in 1...1500 {
            _ = try await store.update(id, data: .object(["n": .int(Int64(round)), "pad": .string(padding)]), type: nil, ifVersion: nil)
        }
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        #expect(size < 2 << 20, "compacted: \(size) bytes")
        #expect(await store.logBytes == size)
        let reopened = try await FileStore(path: path, indexed: [FieldPath(["n"])], clock: ManualClock().dataClock)
        #expect(try await reopened.get(id).version == 1501)
        #expect(try await reopened.query(Query(filter: try QueryText.parse("n = 1500"))).map(\.id) == [id])
    }

    @Test func concurrentWritesAreAllDurableAndShareSyncs() async throws {
        let folder = TemporaryFolder()
        let path = folder.path + "/records.log"
        let store = try await FileStore(path: path, clock: ManualClock().dataClock)
        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<400 { group.addTask { try await store.put(.int(Int64(index)), type: nil, id: nil).id } }
            var ids: [String] = []
            for try await id in group { ids.append(id) }
            return ids
        }
        let reopened = try await FileStore(path: path, clock: ManualClock().dataClock)
        #expect(await reopened.count() == 400)
        for id in ids { #expect(try await reopened.get(id).type == .integer) }
    }
}

@Suite struct SQLiteStoreTests {
    @Test func indexedFieldsAreSearchedThroughTheirIndex() async throws {
        let folder = TemporaryFolder()
        let store = try await SQLiteStore(
            path: folder.path + "/db.sqlite", indexed: [FieldPath(["user", "city"]), FieldPath(["age"])], clock: ManualClock().dataClock)
        for index in 0..<200 {
            _ = try await store.put(
                .object(["age": .int(Int64(index)), "user": .object(["city": .string("c\(index % 7)")])]), type: nil, id: nil)
        }
        let equality = try await store.explain(Query(filter: try QueryText.parse(#"user.city = "c3""#)))
        #expect(equality.contains { $0.contains("USING INDEX records_by_") }, "\(equality)")
        let range = try await store.explain(Query(filter: try QueryText.parse("age > 150"), sortBy: FieldPath(["age"]), limit: 5))
        #expect(range.contains { $0.contains("USING INDEX records_by_") }, "\(range)")
        let unindexed = try await store.explain(Query(filter: try QueryText.parse(#"name like "K%""#)))
        #expect(unindexed.contains { $0.hasPrefix("SCAN") }, "\(unindexed)")
    }

    @Test func commitsAreSyncedToDiskNotJustToTheWAL() async throws {
        let folder = TemporaryFolder()
        let store = try await SQLiteStore(path: folder.path + "/db.sqlite", clock: ManualClock().dataClock)
        #expect(try await store.synchronousMode() == 2, "synchronous = FULL on the writer")
    }

    @Test func aDamagedDatabaseIsAnErrorNamingTheFile() async throws {
        let folder = TemporaryFolder()
        let path = folder.path + "/db.sqlite"
        try Data(repeating: 0x42, count: 8192).write(to: URL(fileURLWithPath: path))
        do {
            _ = try await SQLiteStore(path: path, clock: ManualClock().dataClock)
            Issue.record("a damaged database opened")
        } catch {
            #expect(error.code == .storage && error.message.contains(path), "\(error.message)")
        }
    }
}

@Suite struct CacheStoreTests {
    @Test func answersComeFromTheCacheUntilAWriteOrTheirTimeIsUp() async throws {
        let folder = TemporaryFolder()
        let clock = ManualClock()
        let backing = MemoryStore(clock: clock.dataClock)
        let cache = CacheStore(backing: backing, capacity: 2, ttl: 30, clock: clock.dataClock)
        let manager = DataManager(stores: ["app": backing, "hot": cache], backing: ["hot": "app"])
        let a = try await manager.put("app", .object(["n": .int(1)]), type: nil)
        let b = try await manager.put("app", .object(["n": .int(2)]), type: nil)
        let c = try await manager.put("app", .object(["n": .int(3)]), type: nil)
        _ = try await cache.get(a.id)
        _ = try await cache.get(a.id)
        let (hits, misses) = (await cache.hits, await cache.misses)
        #expect(hits == 1 && misses == 1)
        // A write to the store behind the cache, through the manager, is seen at once.
        _ = try await manager.update("app", a.id, data: .object(["n": .int(10)]), type: nil, ifVersion: nil)
        #expect(try await cache.get(a.id).data == .object(["n": .int(10)]))
        let query = Query(filter: try QueryText.parse("n >= 2"))
        #expect(try await cache.query(query).count == 3)
        _ = try await manager.delete("app", c.id, ifVersion: nil)
        #expect(try await cache.query(query).count == 2)
        // Least recently used goes first: capacity 2.
        _ = try await cache.get(b.id)
        _ = try await cache.get(a.id)
        let before = await cache.misses
        _ = try await cache.get(b.id)
        #expect(await cache.misses == before)
        // Time to live.
        clock.advance(by: .seconds(31))
        _ = try await cache.get(b.id)
        #expect(await cache.misses == before + 1)
        _ = folder
    }
}

@Suite struct MemoryIndexTests {
    /// Indexed comparisons come from the index (only matching candidates), not from a scan.
    @Test func indexedComparisonsAreAnsweredFromTheIndex() throws {
        var table = RecordTable(indexed: [FieldPath(["age"]), FieldPath(["city"])])
        for index in 0..<1000 {
            table.store(
                Record(
                    id: String(format: "r%04d", index),
                    data: .object(["age": .int(Int64(index % 100)), "city": .string(index % 2 == 0 ? "서울" : "부산"), "n": .int(Int64(index))]
                    ),
                    type: .json, createdAt: 0, updatedAt: 0))
        }
        #expect(table.candidates(try QueryText.parse("age = 42"))?.count == 10)
        #expect(table.candidates(try QueryText.parse("age >= 95"))?.count == 50)
        #expect(table.candidates(try QueryText.parse(#"age in (1, 2) and city = "서울""#))?.count == 20)
        #expect(table.candidates(try QueryText.parse("n = 5")) == nil, "n is not indexed: a scan")
        #expect(table.candidates(try QueryText.parse("not age = 5")) == nil)
        // Removing a record takes it out of its indexes.
        table.remove("r0042")
        #expect(table.candidates(try QueryText.parse("age = 42"))?.count == 9)
        #expect(table.answer(Query(filter: try QueryText.parse("age = 42 and n < 300"))).map(\.id) == ["r0142", "r0242"])
    }

    /// Large tables are scanned in parts on several threads; removals move records around. The
    /// answers stay the reference ones.
    @Test func parallelScansOfALargeTableGiveTheReferenceAnswer() throws {
        var table = RecordTable(indexed: [FieldPath(["age"])])
        var random = SeededRandom(seed: 3)
        for index in 0..<24_000 {
            table.store(
                Record(
                    id: String(format: "r%06d", index), data: StorePropertyTests.randomRecord(&random), type: .json, createdAt: 0,
                    updatedAt: 0))
        }
        for index in stride(from: 0, to: 24_000, by: 7) { table.remove(String(format: "r%06d", index)) }
        #expect(table.count == 24_000 - 3429)
        for _ in 0..<8 {
            let query = Query(filter: StorePropertyTests.randomFilter(&random), sortBy: FieldPath(["b"]), limit: 50)
            #expect(table.answer(query).map(\.id) == query.answer(from: table.rows).map(\.id))
        }
    }
}

/// A file store on a file system that fills up: a 64 KiB tmpfs (mounting needs root, which
/// `make test` and CI run as; elsewhere the test is skipped, saying why).
@Suite(.enabled(if: getuid() == 0, "mounting a small tmpfs needs root"))
struct FullDiskFileStoreTests {
    func run(_ tool: String, _ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }

    @Test func aWriteThatRunsOutOfSpaceIsCutBackAndTheLogStaysWhole() async throws {
        let folder = TemporaryFolder()
        let small = folder.sub("small")
        try FileManager.default.createDirectory(atPath: small, withIntermediateDirectories: true)
        try #require(run("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", small]) == 0, "cannot mount a tmpfs")
        defer { _ = run("/bin/umount", [small]) }
        // Most of the space taken by something else, freed later.
        _ = FileManager.default.createFile(atPath: small + "/filler", contents: Data(count: 32 << 10))
        let path = small + "/records.log"
        let clock = ManualClock()
        let store = try await FileStore(path: path, clock: clock.dataClock)
        let payload = JSONValue.string(String(repeating: "w", count: 3000))
        var acknowledged: [String] = []
        var failure: DataError?
        for _ in 0..<64 {
            let before = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
            do {
                acknowledged.append(try await store.put(payload, type: nil, id: nil).id)
            } catch {
                failure = error
                let after = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
                #expect(after == before, "the failed write is cut back to the last whole record")
                break
            }
        }
        let error = try #require(failure, "the tmpfs never filled")
        #expect(error.message.contains("No space left on device"), "\(error.message)")
        #expect(acknowledged.count > 3)
        #expect(await store.count() == acknowledged.count, "the refused record is not kept in memory")

        // Space comes back; the next write lands after the last whole record.
        try FileManager.default.removeItem(atPath: small + "/filler")
        acknowledged.append(try await store.put(payload, type: nil, id: nil).id)
        let reopened = try await FileStore(path: path, clock: clock.dataClock)
        #expect(reopened.recoveredBytes == 0)
        #expect(await reopened.count() == acknowledged.count)
        for id in acknowledged { #expect(try await reopened.get(id).data == payload) }
    }
}
