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
        ws.writeSlowSource(blocks: 4096)
        let (engine, _) = try await engine(ws, level: 9, threads: 1)
        let first = try await engine.requestBackup(set: "data", trigger: "manual", reason: "first")
        let second = try await engine.requestBackup(set: "data", trigger: "manual", reason: "second")
        let third = try await engine.requestBackup(set: "data", trigger: "manual", reason: "third")
        #expect(!first.isQueued)
        #expect(second.isQueued && third.isQueued)
        #expect(second.number == third.number)
        #expect(await engine.snapshot().queuedSets == ["data"])
        // Stopping cancels the running backup and drops the follow-up both requests share.
        await engine.stop(grace: .zero)
        #expect(try await engine.outcome(of: first).status == .cancelled)
        await #expect(throws: EngineError.self) { try await engine.outcome(of: second) }
        await #expect(throws: EngineError.self) { try await engine.outcome(of: third) }
    }

    @Test func theFollowUpRunsAfterTheCurrentBackupAndCountsTheRequestsItServed() async throws {
        let ws = Workspace()
        ws.write("source/a.txt", Array("hello".utf8))
        let (engine, catalog) = try await engine(ws)
        let first = try await engine.requestBackup(set: "data", trigger: "manual", reason: "first")
        let later = try await engine.requestBackup(set: "data", trigger: "manual", reason: "second")
        let again = try await engine.requestBackup(set: "data", trigger: "manual", reason: "third")
        let a = try await engine.outcome(of: first)
        #expect(a.status == .complete)
        if later.isQueued {
            // The usual case: the first backup was still running when the others arrived.
            let b = try await engine.outcome(of: later)
            #expect(b.status == .complete && b.coalesced == (again.number == later.number ? 1 : 0))
            #expect(a.id < b.id || a.startedAt <= b.startedAt)
        }
        _ = try await engine.outcome(of: again)
        #expect(await catalog.count >= 2)
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
        ws.writeSlowSource(blocks: 4096)
        let (engine, catalog) = try await engine(ws, level: 9, threads: 1)
        let ticket = try await engine.requestBackup(set: "data", trigger: "manual", reason: nil)
        let queued = try await engine.requestBackup(set: "data", trigger: "manual", reason: nil)
        // No waiting for the first bytes: under a loaded test run the poller could be starved until
        // the backup is done. Cancelling at once is deterministic; the daemon tests cancel mid-write.
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
