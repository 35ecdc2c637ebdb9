import Foundation
import PacaCatalog
import PacaConfig
import PacaCore
import PacaTargets
import PacaTestSupport
import Synchronization
import Testing

@testable import PacaEngine

@Suite struct PruneTests {
    func config(_ ws: TemporaryFolder, setRetention: RetentionPolicy? = nil, aRetention: RetentionPolicy? = nil) -> DaemonConfig {
        var config = ws.config()
        config.targets = [
            DaemonConfig.Target(name: "a", kind: .directory(path: ws.sub("a")), retention: aRetention),
            DaemonConfig.Target(name: "b", kind: .directory(path: ws.sub("b"))),
        ]
        config.sets[0].targets = ["a", "b"]
        config.sets[0].retention = setRetention
        // These test the policies on backups that stand alone; IncrementalEngineTests has the
        // retention of backups that reference each other.
        config.sets[0].incremental.isEnabled = false
        return config
    }

    /// Five daily backups, 2026-11-01 to 2026-11-05 at 02:00 UTC; returns their ids oldest first.
    func fiveBackups(_ engine: BackupEngine, _ clock: ManualClock) async throws -> [String] {
        var ids: [String] = []
        for day in 1...5 {
            clock.advance(to: "2026-11-0\(day)T02:00:00Z")
            let record = try await engine.outcome(of: try await engine.requestBackup(set: nil, trigger: .manual, reason: nil))
            #expect(record.status == .complete)
            ids.append(record.id)
        }
        return ids
    }

    func archives(_ ws: TemporaryFolder, _ target: String) -> [String] {
        Files.names(in: ws.sub("\(target)/data")).filter { $0.hasSuffix(".zip") }
    }

    @Test func dryRunReportsAndPruneRemovesPerTargetKeepingPinnedAndNewest() async throws {
        let ws = TemporaryFolder()
        ws.write("source/x", noise(5_000))
        let clock = ManualClock(wall: "2026-11-01T02:00:00Z")
        let (catalog, _) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: clock.wall)
        let engine = BackupEngine(
            config: config(ws), catalog: catalog, clock: clock.serviceClock, logger: quietLogger,
            factory: TargetFactory(environment: [:], hostName: "h"))
        try await withRunning(engine) {
            let ids = try await fiveBackups(engine, clock)
            _ = try await engine.pin(ids[0], pinned: true)

            // Target a keeps the last two (and the pinned one); b keeps everything.
            await engine.apply(config(ws, aRetention: RetentionPolicy(keepLast: 2)))
            let dry = try await engine.prune(dryRun: true)
            #expect(dry.dryRun)
            #expect(dry.removed.map(\.id).sorted() == [ids[1], ids[2]])
            #expect(Set(dry.removed.map(\.target)) == ["a"])
            #expect(dry.kept.first { $0.id == ids[0] }?.reasons == ["pinned"])
            #expect(dry.kept.first { $0.id == ids[4] }?.reasons == ["newest", "last"])
            #expect(archives(ws, "a").count == 5)  // nothing removed by a dry run

            let done = try await engine.prune(dryRun: false)
            #expect(done.removed.map(\.id).sorted() == [ids[1], ids[2]])
            #expect(archives(ws, "a") == [ids[0], ids[3], ids[4]].map { "\($0).zip" })
            #expect(archives(ws, "b").count == 5)
            #expect(!FileManager.default.fileExists(atPath: ws.sub("a/data/\(ids[1]).zip.sha256")))
            let trimmed = try #require(await catalog.record(ids[1]))
            #expect(trimmed.deliveries.map(\.target) == ["b"])
            #expect(trimmed.path == ws.sub("b/data/\(ids[1]).zip"))
            // Still restorable from b.
            _ = try await engine.restore(ids[1], to: ws.sub("r"), includes: [], overwrite: false)

            // A set policy wins over the target's and applies on every target: keep the newest only.
            await engine.apply(
                config(ws, setRetention: RetentionPolicy(keepLast: 1, keepTagged: false), aRetention: RetentionPolicy(keepLast: 2)))
            _ = try await engine.prune(dryRun: false)
            #expect(archives(ws, "a") == ["\(ids[4]).zip"])
            #expect(archives(ws, "b") == ["\(ids[4]).zip"])
            #expect(await catalog.list().map(\.id) == [ids[4]])
            #expect(try await engine.prune(dryRun: true).removed.isEmpty)
        }
    }

    @Test func retentionRunsAfterEachBackup() async throws {
        let ws = TemporaryFolder()
        ws.write("source/x", noise(5_000))
        let clock = ManualClock(wall: "2026-11-01T02:00:00Z")
        let (catalog, _) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: clock.wall)
        let engine = BackupEngine(
            config: config(ws, setRetention: RetentionPolicy(keepDaily: 2)), catalog: catalog, clock: clock.serviceClock,
            logger: quietLogger,
            factory: TargetFactory(environment: [:], hostName: "h"))
        try await withRunning(engine) {
            let ids = try await fiveBackups(engine, clock)
            // Pruning runs as the engine's own work after each backup.
            await eventually("pruning down to two backups") { await catalog.count == 2 }
            #expect(await catalog.list().map(\.id) == [ids[3], ids[4]])
            #expect(archives(ws, "a") == [ids[3], ids[4]].map { "\($0).zip" })
        }
    }

    @Test func aRemovalCutShortIsFinishedAtStartAndOrphansAreReported() async throws {
        let ws = TemporaryFolder()
        ws.write("source/x", noise(5_000))
        let clock = ManualClock(wall: "2026-11-01T02:00:00Z")
        let (catalog, _) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: clock.wall)
        let factory = TargetFactory(environment: [:], hostName: "h")
        let engine = BackupEngine(config: config(ws), catalog: catalog, clock: clock.serviceClock, logger: quietLogger, factory: factory)
        let ids = try await withRunning(engine) { try await fiveBackups(engine, clock) }

        // A kill after the catalog marked two removals: one before the archive went, one after.
        for (index, id) in [ids[0], ids[1]].enumerated() {
            try await catalog.update(id) { record in
                for position in record.deliveries.indices { record.deliveries[position].status = .deleting }
            }
            if index == 1 {
                for target in ["a", "b"] { try FileManager.default.removeItem(atPath: ws.sub("\(target)/data/\(id).zip")) }
            }
        }
        // By hand: an archive the catalog does not know, and a cataloged one deleted from b.
        try FileManager.default.copyItem(atPath: ws.sub("a/data/\(ids[2]).zip"), toPath: ws.sub("a/data/20261020T000000Z-data-beef.zip"))
        try FileManager.default.removeItem(atPath: ws.sub("b/data/\(ids[3]).zip"))

        let restarted = BackupEngine(
            config: config(ws), catalog: catalog, clock: clock.serviceClock, logger: quietLogger, factory: factory,
            timing: .init(retryDelay: 0))
        try await withRunning(restarted) {
            let notes = await restarted.prepare()
            #expect(notes.filter { $0.contains("finished removing") }.count == 4, "\(notes)")
            #expect(await catalog.record(ids[0]) == nil)
            #expect(await catalog.record(ids[1]) == nil)
            #expect(!archives(ws, "a").contains("\(ids[0]).zip") && !archives(ws, "b").contains("\(ids[0]).zip"))
            #expect(notes.contains { $0.contains("data/20261020T000000Z-data-beef.zip, which the catalog does not know") }, "\(notes)")
            #expect(archives(ws, "a").contains("20261020T000000Z-data-beef.zip"))  // reported, never deleted
            #expect(notes.contains { $0.contains("backup \(ids[3]) is missing from target \"b\"") }, "\(notes)")
            #expect(await catalog.record(ids[3])?.deliveries.map(\.status) == [.ok, .failed])
            await restarted.maintain()  // the missing copy comes back from a
            #expect(await catalog.record(ids[3])?.deliveries.map(\.status) == [.ok, .ok])
            #expect(archives(ws, "b").contains("\(ids[3]).zip"))
        }
    }

    /// Backups go on while pacad compares its targets with the catalog at start: one that
    /// begins and ends while a listing is under way is not reported as unknown to the catalog.
    /// The comparison is held on a first target, a bucket that does not answer (its retries wait
    /// on a clock the test holds), while a backup reaches the second.
    @Test func aBackupMadeDuringTheComparisonIsNotReportedAsUnknown() async throws {
        let ws = TemporaryFolder()
        ws.write("source/x", noise(5_000))
        var config = config(ws)
        config.targets.insert(
            DaemonConfig.Target(name: "s", kind: .s3(.init(endpoint: "http://127.0.0.1:1", bucket: "gone", prefix: "p"))), at: 0)
        config.sets[0].targets = ["a"]
        let held = ManualClock()
        let (catalog, _) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: .system)
        let factory = TargetFactory(
            environment: ["AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"], hostName: "h", clock: held.serviceClock)
        let engine = BackupEngine(config: config, catalog: catalog, logger: quietLogger, factory: factory)
        _ = await engine.prepareLocal()
        try await withRunning(engine) {
            let result = Result()
            let comparing = Task {
                let notes = await engine.reconcileTargets()
                result.notes.withLock { $0 = notes }
            }
            await held.waitForSleepers(1)  // listing s, waiting to retry
            let made = try await engine.outcome(of: try await engine.requestBackup(set: nil, trigger: .manual, reason: nil))
            #expect(made.status == .complete)
            let ended = await eventually("the comparison to end") {
                if held.sleeperCount > 0 { held.advance(by: .seconds(3600)) }
                return result.notes.withLock { $0 != nil }
            }
            #expect(ended)
            await comparing.value
            let notes = result.notes.withLock { $0 } ?? []
            #expect(notes.contains { $0.contains("cannot list target \"s\"") }, "\(notes)")
            #expect(!notes.contains { $0.contains("which the catalog does not know") }, "\(notes)")
        }
    }

    final class Result: Sendable {
        let notes = Mutex<[String]?>(nil)
    }
}
