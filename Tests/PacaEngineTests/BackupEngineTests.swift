import Foundation
import PacaArchive
import Testing

@testable import PacaEngine

@Suite struct BackupEngineTests {
    func engine(_ ws: Workspace, level: Int = 2, threads: Int? = nil) async throws -> (BackupEngine, Catalog) {
        let (catalog, _) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: .system)
        return (BackupEngine(config: ws.config(level: level, threads: threads), catalog: catalog, logger: quietLogger), catalog)
    }

    @Test func aBackupIsCatalogedCompleteAndRestoresByteForByte() async throws {
        let ws = Workspace()
        let contents = noise(300_000)
        ws.write("source/model/weights.bin", contents)
        ws.write("source/config.yaml", Array("lr: 0.1\n".utf8))
        let (engine, catalog) = try await engine(ws)
        let ticket = try await engine.requestBackup(set: nil, trigger: "manual", reason: "test")
        let record = try await engine.outcome(of: ticket)
        #expect(record.status == .complete)
        #expect(record.files == 2)
        #expect(record.bytesIn == UInt64(contents.count + 8))
        #expect(record.path == ws.sub("backups/data/\(record.id).zip"))
        #expect(BackupIDShape.matches(record.id, set: "data"))
        #expect(await catalog.record(record.id) == record)
        let restored = try await engine.restore(record.id, to: ws.sub("restored"), includes: [], overwrite: false)
        #expect(restored.files == 2)
        #expect(FileManager.default.contents(atPath: ws.sub("restored/source/model/weights.bin")) == Data(contents))
        let verified = try await engine.verify(record.id)
        #expect(verified.isValid)
        #expect(await catalog.record(record.id)?.verified == true)
    }

    @Test func requestsForARunningSetShareOneFollowUpBackup() async throws {
        let ws = Workspace()
        ws.write("source/big.bin", Array(repeating: noise(1 << 20), count: 6).flatMap { $0 })
        let (engine, catalog) = try await engine(ws, level: 9, threads: 1)
        let first = try await engine.requestBackup(set: "data", trigger: "manual", reason: "first")
        let second = try await engine.requestBackup(set: "data", trigger: "manual", reason: "second")
        let third = try await engine.requestBackup(set: "data", trigger: "manual", reason: "third")
        #expect(!first.isQueued)
        #expect(second.isQueued && third.isQueued)
        #expect(second.number == third.number)
        let a = try await engine.outcome(of: first)
        let b = try await engine.outcome(of: second)
        let c = try await engine.outcome(of: third)
        #expect(a.status == .complete && b.status == .complete)
        #expect(b == c)
        #expect(b.coalesced == 1)
        #expect(b.reason == "second")
        #expect(a.id < b.id || a.startedAt <= b.startedAt)
        #expect(await catalog.count == 2)
    }

    @Test func unknownSetsAndAmbiguousRequestsAreRefused() async throws {
        let ws = Workspace()
        let (engine, _) = try await engine(ws)
        await #expect(throws: EngineError(.notFound, "no backup set named \"nope\" (sets: data)")) {
            try await engine.requestBackup(set: "nope", trigger: "manual", reason: nil)
        }
        var two = ws.config()
        two.sets.append(.init(name: "other", paths: [ws.sub("source")], targets: ["local"]))
        await engine.apply(two)
        await #expect(throws: EngineError.self) { try await engine.requestBackup(set: nil, trigger: "manual", reason: nil) }
    }

    @Test func stoppingCancelsARunningBackupAndLeavesNoPartialFile() async throws {
        let ws = Workspace()
        ws.write("source/big.bin", Array(repeating: noise(1 << 20), count: 24).flatMap { $0 })
        let (engine, catalog) = try await engine(ws, level: 9, threads: 1)
        let ticket = try await engine.requestBackup(set: "data", trigger: "manual", reason: nil)
        let queued = try await engine.requestBackup(set: "data", trigger: "manual", reason: nil)
        while await engine.progress(of: ticket)?.progress.bytes ?? 0 == 0 { try await Task.sleep(for: .milliseconds(10)) }
        await engine.stop(grace: .zero)
        let record = try await engine.outcome(of: ticket)
        #expect(record.status == .cancelled)
        #expect(await catalog.record(record.id)?.status == .cancelled)
        #expect(ws.partialFiles.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: record.path))
        await #expect(throws: EngineError.self) { try await engine.outcome(of: queued) }
        await #expect(throws: EngineError.self) { try await engine.requestBackup(set: "data", trigger: "manual", reason: nil) }
    }

    @Test func aFailedBackupIsCatalogedAsFailedWithItsReason() async throws {
        let ws = Workspace()
        let (engine, catalog) = try await engine(ws)  // source/ does not exist
        let record = try await engine.outcome(of: try await engine.requestBackup(set: "data", trigger: "manual", reason: nil))
        #expect(record.status == .failed)
        #expect(record.error?.contains(ws.sub("source")) == true)
        #expect(await catalog.record(record.id)?.status == .failed)
        await #expect(throws: EngineError.self) { try await engine.restore(record.id, to: ws.sub("r"), includes: [], overwrite: false) }
    }

    @Test func deleteRemovesArchiveSidecarAndRecord() async throws {
        let ws = Workspace()
        ws.write("source/a.txt", Array("hello".utf8))
        let (engine, catalog) = try await engine(ws)
        let record = try await engine.outcome(of: try await engine.requestBackup(set: "data", trigger: "manual", reason: nil))
        _ = try await engine.delete(record.id)
        #expect(!FileManager.default.fileExists(atPath: record.path))
        #expect(!FileManager.default.fileExists(atPath: record.path + ".sha256"))
        #expect(await catalog.record(record.id) == nil)
        await #expect(throws: EngineError.self) { try await engine.delete(record.id) }
    }

    @Test func restoreRefusesRelativeDestinationsAndBadPatterns() async throws {
        let ws = Workspace()
        ws.write("source/a.txt", Array("hello".utf8))
        let (engine, _) = try await engine(ws)
        let record = try await engine.outcome(of: try await engine.requestBackup(set: "data", trigger: "manual", reason: nil))
        await #expect(throws: EngineError.self) { try await engine.restore(record.id, to: "relative/dir", includes: [], overwrite: false) }
        await #expect(throws: EngineError.self) { try await engine.restore(record.id, to: ws.sub("r"), includes: [""], overwrite: false) }
        let partial = try await engine.restore(record.id, to: ws.sub("r"), includes: ["*.txt"], overwrite: false)
        #expect(partial.files == 1)
    }
}

enum BackupIDShape {
    static func matches(_ id: String, set: String) -> Bool {
        id.range(of: "^[0-9]{8}T[0-9]{6}Z-\(set)-[0-9a-f]{4}$", options: .regularExpression) != nil
    }
}
