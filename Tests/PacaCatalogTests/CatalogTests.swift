import Foundation
import PacaCore
import PacaSystem
import PacaTestSupport
import Testing

@testable import PacaCatalog

@Suite struct CatalogTests {
    func record(_ id: String, status: BackupRecord.Status = .complete, path: String = "/nowhere/x.zip") -> BackupRecord {
        var record = BackupRecord(
            id: id, set: "data", trigger: .manual, reason: "why \"quoted\" 서울", startedAt: 1_795_744_800, target: "local", path: path)
        record.status = status
        record.finishedAt = status == .running ? nil : 1_795_744_860
        record.files = 3
        record.bytesIn = 3000
        record.bytesStored = 1000
        return record
    }

    @Test func recordsSurviveReopening() async throws {
        let ws = TemporaryFolder()
        let (catalog, _) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: .system)
        var a = record("20261127T020000Z-data-0001")
        var b = record("20261127T030000Z-data-0002", status: .failed)
        try await catalog.insert(b)
        try await catalog.insert(a)
        // The catalog numbers records in the order it takes them, whatever their ids say.
        (b.sequence, a.sequence) = (1, 2)
        let (reopened, recovery) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: .system)
        #expect(recovery == Catalog.Recovery())
        #expect(await reopened.list() == [a, b])
        #expect(await reopened.record(a.id)?.reason == "why \"quoted\" 서울")
        try await reopened.remove(a.id)
        let (third, _) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: .system)
        #expect(await third.list().map(\.id) == [b.id])
    }

    @Test func aRunningBackupFoundAtOpenBecomesInterruptedAndItsPartialGoes() async throws {
        let ws = TemporaryFolder()
        let archive = ws.sub("backups/data/20261127T020000Z-data-0001.zip")
        ws.write("backups/data/20261127T020000Z-data-0001.zip.partial", [1, 2, 3])
        let (catalog, _) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: .system)
        try await catalog.insert(record("20261127T020000Z-data-0001", status: .running, path: archive))
        let (reopened, recovery) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: WallClock { 1_795_745_000 })
        #expect(recovery.interrupted == ["20261127T020000Z-data-0001"])
        #expect(recovery.removedPartials == [archive + ".partial"])
        let repaired = try #require(await reopened.record("20261127T020000Z-data-0001"))
        #expect(repaired.status == .interrupted)
        #expect(repaired.finishedAt == 1_795_745_000)
        #expect(repaired.error?.contains("stopped while this backup was being written") == true)
        #expect(!FileManager.default.fileExists(atPath: archive + ".partial"))
        // The repair is persisted: a third open finds nothing to do.
        let (_, again) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: .system)
        #expect(again.interrupted.isEmpty)
    }

    @Test func aDamagedCatalogIsAnErrorNamingTheFileNotAnEmptyCatalog() async throws {
        let ws = TemporaryFolder()
        ws.write("state/catalog.json", Array("{\"version\":1,\"backups\":[{\"id\":".utf8))
        do {
            _ = try await Catalog.open(stateDirectory: ws.sub("state"), clock: .system)
            Issue.record("a damaged catalog was accepted")
        } catch {
            #expect(error.code == .storage)
            #expect(error.message.contains(ws.sub("state/catalog.json")))
        }
        // Nothing was overwritten.
        #expect(FileManager.default.contents(atPath: ws.sub("state/catalog.json"))?.count == 30)
    }

    @Test func aCatalogFromVersion03IsImportedOnceAndKeptAside() async throws {
        let ws = TemporaryFolder()
        let a = record("20261127T020000Z-data-0001")
        let b = record("20261127T030000Z-data-0002", status: .running, path: ws.sub("backups/data/b.zip"))
        let document = CatalogDocument(version: 1, backups: [a, b])
        ws.write("state/catalog.json", Array(try JSONEncoder().encode(document)))
        let (catalog, recovery) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: .system)
        #expect(recovery.imported == 2 && recovery.interrupted == [b.id])
        #expect(await catalog.list().map(\.id) == [a.id, b.id])
        #expect(!FileManager.default.fileExists(atPath: ws.sub("state/catalog.json")))
        #expect(FileManager.default.fileExists(atPath: ws.sub("state/catalog.json.imported")))
        let (reopened, again) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: .system)
        #expect(again == Catalog.Recovery())
        #expect(await reopened.record(b.id)?.status == .interrupted)
    }

    @Test func aDamagedDatabaseIsAnErrorNamingIt() async throws {
        let ws = TemporaryFolder()
        ws.write("state/catalog.sqlite", Array(repeating: 0x41, count: 4096))
        do {
            _ = try await Catalog.open(stateDirectory: ws.sub("state"), clock: .system)
            Issue.record("a damaged catalog was accepted")
        } catch {
            #expect(error.code == .storage)
            #expect(error.message.contains(ws.sub("state/catalog.sqlite")), "\(error.message)")
        }
    }

    @Test func queriesSeeTheFieldsBackupShowNames() async throws {
        let ws = TemporaryFolder()
        let (catalog, _) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: .system)
        var big = record("20261127T020000Z-data-0001")
        big.bytesIn = 3_000_000_000
        var other = record("20261127T030000Z-logs-0002")
        other.set = "logs"
        other.bytesIn = 5_000_000_000
        let small = record("20261127T040000Z-data-0003")
        for item in [big, other, small] { try await catalog.insert(item) }
        let query = Query(
            filter: try QueryText.parse(#"set = "data" and bytes_in > 1GB"#), sortBy: FieldPath(["finished_at"]), order: .desc)
        #expect(try await catalog.query(query).map(\.id) == [big.id])
        let all = Query(filter: try QueryText.parse("finished_at >= 2026-11-27"), sortBy: FieldPath(["bytes_in"]), order: .desc, limit: 2)
        #expect(try await catalog.query(all).map(\.id) == [other.id, big.id])
    }

    /// A record written by pacad 0.6 (no incremental fields) reads as the full backup it was.
    @Test func aRecordFromBeforeIncrementalBackupsReadsAsFull() throws {
        let text = """
            {"id":"20261127T020000Z-data-0001","set":"data","type":"full","trigger":"manual","reason":null,"status":"complete",
             "started_at":"2026-11-27T02:00:00Z","finished_at":"2026-11-27T02:00:05Z","files":3,"bytes_in":3000,"bytes_stored":1000,
             "ratio":0.3333,"sha256":null,"target":"local","path":"/b/data/x.zip","deliveries":[],"error":null,"unreadable":[],
             "changed":0,"coalesced":0,"pinned":false,"verified":null,"verified_at":null}
            """
        let record = try JSONDecoder().decode(BackupRecord.self, from: Data(text.utf8))
        #expect(record.type == .full && record.references.isEmpty && record.base == nil && !record.retired)
        #expect(record.bytesWritten == 3000, "a full backup wrote everything it covers")
        #expect(record.filesReferenced == 0 && record.bytesReferenced == 0)
    }

    @Test func recordsEncodeWithTheDocumentedKeys() throws {
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(record("20261127T020000Z-data-0001"))) as! [String: Any]
        #expect(
            Set(json.keys) == [
                "id", "set", "type", "base", "references", "files_referenced", "bytes_referenced", "retired", "trigger", "reason", "status",
                "started_at", "finished_at", "files", "bytes_in", "bytes_written", "bytes_stored", "ratio",
                "sha256", "manifest_sha256", "target", "path", "deliveries", "error", "unreadable", "changed", "coalesced", "pinned",
                "verified",
                "verified_at", "sealed",
            ])
        #expect(json["started_at"] as? String == "2026-11-27T02:00:00Z")
        #expect(json["ratio"] as? Double == 0.3333)
    }

    @Test func recordsFromBeforeSeveralTargetsReadAsOneDelivery() throws {
        var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(record("20261127T020000Z-data-0001"))) as! [String: Any]
        json["deliveries"] = nil
        let old = try JSONDecoder().decode(BackupRecord.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(old.deliveries == [Delivery(target: "local", status: .ok, location: "/nowhere/x.zip", deliveredAt: 1_795_744_860)])
        json["status"] = "failed"
        let failed = try JSONDecoder().decode(BackupRecord.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(failed.deliveries.isEmpty)
    }
}

@Suite struct CatalogUpdateTests {
    func record(_ id: String) -> BackupRecord {
        BackupRecord(id: id, set: "data", trigger: .manual, reason: nil, startedAt: 0, target: "local", path: "/x")
    }

    @Test func anUpdateChangesOneRecordAtomicallyAndIsCommitted() async throws {
        let ws = TemporaryFolder()
        let (catalog, _) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: .system)
        try await catalog.insert(record("20261127T020000Z-data-0001"))
        let answer = try await catalog.update("20261127T020000Z-data-0001") { record -> Int in
            record.pinned = true
            return 42
        }
        #expect(answer == 42)
        #expect(try await catalog.update("20261127T020000Z-data-nope") { $0.pinned = true } == nil)
        let (reopened, _) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: .system)
        #expect(await reopened.record("20261127T020000Z-data-0001")?.pinned == true)
        await #expect(throws: CatalogError.self) { try await catalog.insert(record("20261127T020000Z-data-0001")) }
    }

    /// Many concurrent changes to one record, each a read and a write: none is lost, in memory
    /// or on disk (with `record()` then `save()` across an await, most would be).
    @Test func concurrentUpdatesToOneRecordAreNeverLost() async throws {
        let ws = TemporaryFolder()
        let (catalog, _) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: .system)
        let id = "20261127T020000Z-data-0001"
        try await catalog.insert(record(id))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<50 {
                group.addTask { try await catalog.update(id) { $0.coalesced += 1 } }
            }
            try await group.waitForAll()
        }
        #expect(await catalog.record(id)?.coalesced == 50)
        let (reopened, _) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: .system)
        #expect(await reopened.record(id)?.coalesced == 50)
    }

    @Test func triggersAndKindsKeepTheirTextForm() throws {
        for text in ["manual", "job:nightly", "training_start", "config_change", "shutdown", "emergency", "rebuilt"] {
            #expect(BackupTrigger(rawValue: text)?.rawValue == text)
        }
        #expect(BackupTrigger(rawValue: "job:") == nil && BackupTrigger(rawValue: "cron") == nil)
        var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(record("20261127T020000Z-data-0001"))) as! [String: Any]
        #expect(json["trigger"] as? String == "manual" && json["type"] as? String == "full")
        json["trigger"] = "someday"
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(BackupRecord.self, from: JSONSerialization.data(withJSONObject: json))
        }
    }
}

@Suite struct CatalogLatestTests {
    @Test func latestBySetFollowsSavesAndRemovals() async throws {
        let ws = TemporaryFolder()
        let (catalog, _) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: .system)
        func record(_ id: String, _ set: String) -> BackupRecord {
            BackupRecord(id: id, set: set, trigger: .manual, reason: nil, startedAt: 0, target: "local", path: "/x")
        }
        try await catalog.insert(record("20261127T030000Z-a-0001", "a"))
        try await catalog.insert(record("20261127T010000Z-a-0002", "a"))
        try await catalog.insert(record("20261127T020000Z-b-0003", "b"))
        #expect(await catalog.latestBySet().mapValues(\.id) == ["a": "20261127T030000Z-a-0001", "b": "20261127T020000Z-b-0003"])
        try await catalog.remove("20261127T030000Z-a-0001")
        #expect(await catalog.latestBySet()["a"]?.id == "20261127T010000Z-a-0002")
        try await catalog.remove("20261127T020000Z-b-0003")
        #expect(await catalog.summary().latest["b"] == nil)
        #expect(await catalog.summary().count == 1)
        let (reopened, _) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: .system)
        #expect(await reopened.latestBySet()["a"]?.id == "20261127T010000Z-a-0002")
    }
}
