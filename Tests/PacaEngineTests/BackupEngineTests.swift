import Foundation
import PacaArchive
import PacaCatalog
import PacaSystem
import PacaTestSupport
import Testing

@testable import PacaEngine

@Suite struct BackupEngineTests {
    func engine(_ ws: TemporaryFolder, level: Int = 2, threads: Int? = nil) async throws -> (BackupEngine, Catalog) {
        let (catalog, _) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: .system)
        return (BackupEngine(config: ws.config(level: level, threads: threads), catalog: catalog, logger: quietLogger), catalog)
    }

    @Test func aBackupIsCatalogedCompleteAndRestoresByteForByte() async throws {
        let ws = TemporaryFolder()
        let contents = noise(300_000)
        ws.write("source/model/weights.bin", contents)
        ws.write("source/config.yaml", Array("lr: 0.1\n".utf8))
        let (engine, catalog) = try await engine(ws)
        try await withRunning(engine) {
            let ticket = try await engine.requestBackup(set: nil, trigger: .manual, reason: "test")
            let record = try await engine.outcome(of: ticket)
            #expect(record.status == .complete)
            #expect(record.files == 2)
            #expect(record.bytesIn == UInt64(contents.count + 8))
            #expect(record.path == ws.sub("backups/data/\(record.id).zip"))
            #expect(BackupIDShape.matches(record.id, set: "data"))
            #expect(await catalog.record(record.id) == record)
            let restored = try await engine.restore(record.id, to: ws.sub("restored"), includes: [], overwrite: false)
            #expect(restored.files == 2)
            #expect(ws.read("restored/source/model/weights.bin") == contents)
            let verified = try await engine.verify(record.id)
            #expect(verified.isValid)
            #expect(await catalog.record(record.id)?.verified == true)
        }
    }

    @Test func requestsForARunningSetShareOneFollowUpBackup() async throws {
        let ws = TemporaryFolder()
        ws.writeSlowSource(blocks: 4096)
        let (engine, _) = try await engine(ws, level: 9, threads: 1)
        try await withRunning(engine) {
            let first = try await engine.requestBackup(set: "data", trigger: .manual, reason: "first")
            let second = try await engine.requestBackup(set: "data", trigger: .manual, reason: "second")
            let third = try await engine.requestBackup(set: "data", trigger: .manual, reason: "third")
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
    }

    @Test func theFollowUpRunsAfterTheCurrentBackupAndCountsTheRequestsItServed() async throws {
        let ws = TemporaryFolder()
        ws.write("source/a.txt", Array("hello".utf8))
        let (engine, catalog) = try await engine(ws)
        try await withRunning(engine) {
            let first = try await engine.requestBackup(set: "data", trigger: .manual, reason: "first")
            let later = try await engine.requestBackup(set: "data", trigger: .manual, reason: "second")
            let again = try await engine.requestBackup(set: "data", trigger: .manual, reason: "third")
            // Backups start on the engine's run loop, after these requests: the others queue.
            #expect(later.isQueued && again.number == later.number)
            let a = try await engine.outcome(of: first)
            #expect(a.status == .complete)
            let b = try await engine.outcome(of: later)
            #expect(b.status == .complete && b.coalesced == 1)
            #expect(a.id < b.id || a.startedAt <= b.startedAt)
            #expect(await catalog.count == 2)
        }
    }

    @Test func waitingForABackupCanBeCancelledWithoutStoppingIt() async throws {
        let ws = TemporaryFolder()
        ws.write("source/a.txt", Array("hello".utf8))
        let (engine, _) = try await engine(ws)
        try await withRunning(engine) {
            let ticket = try await engine.requestBackup(set: "data", trigger: .manual, reason: nil)
            let waiting = Task { try await engine.outcome(of: ticket) }
            waiting.cancel()
            await #expect(throws: EngineError.self) { try await waiting.value }
            #expect(try await engine.outcome(of: ticket).status == .complete)
        }
    }

    @Test func unknownSetsAndAmbiguousRequestsAreRefused() async throws {
        let ws = TemporaryFolder()
        let (engine, _) = try await engine(ws)
        await #expect(throws: EngineError(.notFound, "no backup set named \"nope\" (sets: data)")) {
            try await engine.requestBackup(set: "nope", trigger: .manual, reason: nil)
        }
        var two = ws.config()
        two.sets.append(.init(name: "other", paths: [ws.sub("source")], targets: ["local"]))
        await engine.apply(two)
        await #expect(throws: EngineError.self) { try await engine.requestBackup(set: nil, trigger: .manual, reason: nil) }
    }

    @Test func stoppingCancelsARunningBackupAndLeavesNoPartialFile() async throws {
        let ws = TemporaryFolder()
        ws.writeSlowSource(blocks: 4096)
        let (engine, catalog) = try await engine(ws, level: 9, threads: 1)
        try await withRunning(engine) {
            let ticket = try await engine.requestBackup(set: "data", trigger: .manual, reason: nil)
            let queued = try await engine.requestBackup(set: "data", trigger: .manual, reason: nil)
            // No waiting for the first bytes: under a loaded test run the poller could be starved until
            // the backup is done. Cancelling at once is deterministic; the daemon tests cancel mid-write.
            await engine.stop(grace: .zero)
            let record = try await engine.outcome(of: ticket)
            #expect(record.status == .cancelled)
            #expect(await catalog.record(record.id)?.status == .cancelled)
            #expect(ws.partialFiles().isEmpty)
            #expect(!FileManager.default.fileExists(atPath: record.path))
            await #expect(throws: EngineError.self) { try await engine.outcome(of: queued) }
            await #expect(throws: EngineError.self) { try await engine.requestBackup(set: "data", trigger: .manual, reason: nil) }
        }
    }

    /// The stop's grace period runs on the engine's clock: a backup still running when it is over
    /// is cancelled, and not a moment before.
    @Test func theGracePeriodIsTimedByTheEnginesClock() async throws {
        let ws = TemporaryFolder()
        ws.writeSlowSource(blocks: 4096)
        let clock = ManualClock()
        let (catalog, _) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: clock.wall)
        let engine = BackupEngine(config: ws.config(level: 9, threads: 1), catalog: catalog, clock: clock.serviceClock, logger: quietLogger)
        try await withRunning(engine) {
            let ticket = try await engine.requestBackup(set: "data", trigger: .manual, reason: nil)
            try await withBackground({ await engine.stop(grace: .seconds(60)) }) {
                await clock.waitForSleepers()
                #expect(await engine.snapshot().activities.count == 1)
                clock.advance(by: .seconds(60))
                let record = try await engine.outcome(of: ticket)
                #expect(record.status == .cancelled)
            }
        }
    }

    @Test func aFailedBackupIsCatalogedAsFailedWithItsReason() async throws {
        let ws = TemporaryFolder()
        let (engine, catalog) = try await engine(ws)  // source/ does not exist
        try await withRunning(engine) {
            let record = try await engine.outcome(of: try await engine.requestBackup(set: "data", trigger: .manual, reason: nil))
            #expect(record.status == .failed)
            #expect(record.error?.contains(ws.sub("source")) == true)
            #expect(await catalog.record(record.id)?.status == .failed)
            await #expect(throws: EngineError.self) { try await engine.restore(record.id, to: ws.sub("r"), includes: [], overwrite: false) }
        }
    }

    @Test func deleteRemovesArchiveSidecarAndRecord() async throws {
        let ws = TemporaryFolder()
        ws.write("source/a.txt", Array("hello".utf8))
        let (engine, catalog) = try await engine(ws)
        try await withRunning(engine) {
            let record = try await engine.outcome(of: try await engine.requestBackup(set: "data", trigger: .manual, reason: nil))
            _ = try await engine.delete(record.id)
            #expect(!FileManager.default.fileExists(atPath: record.path))
            #expect(!FileManager.default.fileExists(atPath: record.path + ".sha256"))
            #expect(await catalog.record(record.id) == nil)
            await #expect(throws: EngineError.self) { try await engine.delete(record.id) }
        }
    }

    @Test func restoreRefusesRelativeDestinationsAndBadPatterns() async throws {
        let ws = TemporaryFolder()
        ws.write("source/a.txt", Array("hello".utf8))
        let (engine, _) = try await engine(ws)
        try await withRunning(engine) {
            let record = try await engine.outcome(of: try await engine.requestBackup(set: "data", trigger: .manual, reason: nil))
            await #expect(throws: EngineError.self) {
                try await engine.restore(record.id, to: "relative/dir", includes: [], overwrite: false)
            }
            await #expect(throws: EngineError.self) {
                try await engine.restore(record.id, to: ws.sub("r"), includes: [""], overwrite: false)
            }
            let partial = try await engine.restore(record.id, to: ws.sub("r"), includes: ["*.txt"], overwrite: false)
            #expect(partial.files == 1)
        }
    }

    /// Errors keep what failed underneath: a restore under a file is the engine's error over the
    /// archive's over the system call's, each with its own code.
    @Test func errorsKeepTheirCause() async throws {
        let ws = TemporaryFolder()
        ws.write("source/a.txt", Array("hello".utf8))
        ws.write("file", [1])
        let (engine, _) = try await engine(ws)
        try await withRunning(engine) {
            let record = try await engine.outcome(of: try await engine.requestBackup(set: "data", trigger: .manual, reason: nil))
            await #expect {
                try await engine.restore(record.id, to: ws.sub("file/sub"), includes: [], overwrite: false)
            } throws: { error in
                let engineError = error as? EngineError
                let archiveError = engineError?.underlying as? ArchiveError
                return engineError?.code == .storage && archiveError?.underlying?.isNotADirectory == true
                    && archiveError?.underlying?.name == "ENOTDIR"
            }
        }
        var config = ws.config()
        config.stateDirectory = ws.sub("file/state")
        let (catalog, _) = try await Catalog.open(stateDirectory: ws.sub("state2"), clock: .system)
        let failing = BackupEngine(config: config, catalog: catalog, logger: quietLogger)
        try await withRunning(failing) {
            let record = try await failing.outcome(of: try await failing.requestBackup(set: "data", trigger: .manual, reason: nil))
            #expect(record.status == .failed)
            #expect(record.error?.contains("Not a directory") == true, "\(record.error ?? "")")
        }
    }
}

enum BackupIDShape {
    static func matches(_ id: String, set: String) -> Bool {
        id.range(of: "^[0-9]{8}T[0-9]{6}Z-\(set)-[0-9a-f]{4}$", options: .regularExpression) != nil
    }
}
