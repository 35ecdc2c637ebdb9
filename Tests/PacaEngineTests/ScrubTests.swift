import Foundation
import PacaArchive
import PacaCatalog
import PacaConfig
import PacaCore
import PacaSystem
import PacaTargets
import PacaTestSupport
import Testing

@testable import PacaEngine

/// Scrubbing reads every copy back, checks it against the catalog, and repairs a damaged copy
/// from a good one on another target; with no good copy left the backup is marked damaged.
@Suite struct ScrubTests {
    let ws = TemporaryFolder()
    let clock = ManualClock(wall: "2026-11-01T02:00:00Z")

    func config(targets: [String] = ["a", "b"], every: Int64? = 30 * 86_400) -> DaemonConfig {
        var config = ws.config(directoryTargets: targets)
        for index in config.targets.indices { config.targets[index].scrub = .init(every: every, rate: 500_000_000) }
        return config
    }

    func engine(_ config: DaemonConfig) async throws -> (BackupEngine, Catalog) {
        let (catalog, _) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: clock.wall)
        let engine = BackupEngine(
            config: config, catalog: catalog, clock: clock.serviceClock, logger: quietLogger,
            factory: TargetFactory(environment: [:], hostName: "h"), timing: .init(retryDelay: 0))
        _ = await engine.prepare()
        return (engine, catalog)
    }

    func backUp(_ engine: BackupEngine) async throws -> BackupRecord {
        try await engine.outcome(of: try await engine.requestBackup(set: nil, trigger: .manual, reason: nil))
    }

    /// Flips one byte in the middle of the archive at `path` (inside model.bin's data).
    func damage(_ path: String) throws {
        var bytes = try #require(FileManager.default.contents(atPath: path))
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: path))
    }

    func writeSource() {
        ws.write("source/model.bin", noise(300_000))
        ws.write("source/conf/a.yaml", Array("lr: 1\n".utf8))
    }

    @Test func aGoodPassRecordsWhenEachCopyWasChecked() async throws {
        writeSource()
        let (engine, catalog) = try await engine(config())
        try await withRunning(engine) {
            let record = try await backUp(engine)
            clock.advance(by: .seconds(3600))
            let report = try await engine.scrub("a", all: true)
            #expect(report.verified == [record.id] && report.damaged.isEmpty && report.skipped.isEmpty)
            #expect(report.bytes == record.bytesStored)
            let delivery = try #require(await catalog.record(record.id)?.deliveries.first { $0.target == "a" })
            #expect(delivery.verifiedAt == Int64(clock.wall.now()))
            #expect(await catalog.record(record.id)?.deliveries.first { $0.target == "b" }?.verifiedAt == nil)
            let states = await engine.targetStatus()
            #expect(states.first { $0.name == "a" }?.oldestUnverifiedSeconds == 0)
            #expect(states.first { $0.name == "b" }?.oldestUnverifiedSeconds == 3600)
            #expect(states.first { $0.name == "a" }?.scrubEvery == Int64(30 * 86_400))
        }
    }

    @Test func aDamagedCopyIsRepairedFromAnotherTarget() async throws {
        writeSource()
        let (engine, catalog) = try await engine(config())
        try await withRunning(engine) {
            let record = try await backUp(engine)
            try damage(ws.sub("b/data/\(record.id).zip"))
            let report = try await engine.scrub("b", all: true)
            #expect(report.damaged.keys.sorted() == [record.id], "\(report)")
            #expect(report.damaged[record.id]?.contains("source/model.bin") == true, "\(report.damaged)")
            #expect(report.repaired == [record.id] && report.lost.isEmpty)
            let deliveries = await catalog.record(record.id)?.deliveries
            #expect(deliveries?.map(\.status) == [.ok, .ok], "\(String(describing: deliveries?.last?.error))")
            #expect(
                FileManager.default.contents(atPath: ws.sub("b/data/\(record.id).zip"))
                    == FileManager.default.contents(atPath: ws.sub("a/data/\(record.id).zip")))
            let repaired = try #require(await catalog.record(record.id))
            #expect(repaired.status == .complete && repaired.deliveries.map(\.status) == [.ok, .ok])
            #expect(try await engine.scrub("b", all: true).verified == [record.id])
        }
    }

    @Test func aMissingCopyIsReplacedAndAnUnmountedTargetIsNotJudged() async throws {
        writeSource()
        let (engine, catalog) = try await engine(config())
        try await withRunning(engine) {
            let record = try await backUp(engine)
            try FileManager.default.removeItem(atPath: ws.sub("b/data/\(record.id).zip"))
            let report = try await engine.scrub("b", all: true)
            #expect(report.damaged[record.id]?.contains("missing") == true && report.repaired == [record.id], "\(report)")
            #expect(FileManager.default.fileExists(atPath: ws.sub("b/data/\(record.id).zip")))

            // The disk is unmounted: the mount point is empty. Nothing is marked, nothing written.
            try FileManager.default.moveItem(atPath: ws.sub("b"), toPath: ws.sub("b-disk"))
            try FileManager.default.createDirectory(atPath: ws.sub("b"), withIntermediateDirectories: false)
            let unmounted = try await engine.scrub("b", all: true)
            #expect(unmounted.damaged.isEmpty && unmounted.skipped.keys.sorted() == [record.id], "\(unmounted)")
            #expect(unmounted.skipped[record.id]?.contains("mounted") == true, "\(unmounted.skipped)")
            #expect(await catalog.record(record.id)?.deliveries.map(\.status) == [.ok, .ok])
            #expect((try? FileManager.default.contentsOfDirectory(atPath: ws.sub("b"))) == [])
        }
    }

    @Test func withNoGoodCopyLeftTheBackupIsDamagedAndWhatIsIntactStillRestores() async throws {
        writeSource()
        let (engine, catalog) = try await engine(config(targets: ["a"]))
        try await withRunning(engine) {
            let record = try await backUp(engine)
            try damage(ws.sub("a/data/\(record.id).zip"))
            let report = try await engine.scrub("a", all: true)
            #expect(report.lost == [record.id] && report.repaired.isEmpty, "\(report)")
            let damaged = try #require(await catalog.record(record.id))
            #expect(damaged.status == .damaged && !damaged.isRestorePoint)
            #expect(damaged.lost == ["source/model.bin"])
            #expect(damaged.error?.contains("no good copy is left") == true)
            let restored = try await engine.restore(record.id, to: ws.sub("r"), includes: [], overwrite: false)
            #expect(FileManager.default.contents(atPath: ws.sub("r/source/conf/a.yaml")) == Data("lr: 1\n".utf8))
            #expect(!FileManager.default.fileExists(atPath: ws.sub("r/source/model.bin")))
            #expect(restored.problems.contains { $0.entry == "source/model.bin" })
        }
    }

    @Test func theScheduledPassReadsOnlyCopiesThatAreDue() async throws {
        writeSource()
        let (engine, catalog) = try await engine(config(every: 7 * 86_400))
        try await withRunning(engine) {
            let first = try await backUp(engine)
            clock.advance(by: .seconds(3 * 86_400))
            ws.write("source/conf/b.yaml", Array("lr: 2\n".utf8))
            let second = try await backUp(engine)
            clock.advance(by: .seconds(5 * 86_400))
            // The first is 8 days unchecked, the second 5: only the first is due.
            await engine.scrubDue()
            for target in ["a", "b"] {
                #expect(await catalog.record(first.id)?.deliveries.first { $0.target == target }?.verifiedAt == Int64(clock.wall.now()))
                #expect(await catalog.record(second.id)?.deliveries.first { $0.target == target }?.verifiedAt == nil)
            }
        }
    }
}

@Suite struct ScrubPlanTests {
    func copy(_ id: String, _ checkedAt: Int64, _ bytes: UInt64 = 100) -> ScrubPlan.Copy {
        ScrubPlan.Copy(id: id, checkedAt: checkedAt, bytes: bytes)
    }

    @Test func onlyCopiesAPeriodOldAreDueOldestFirst() {
        // An interval of half the period: each pass may read all the bytes (twice its share).
        let plan = ScrubPlan(period: 1000, interval: 500)
        let copies = [copy("new", 950), copy("old", 0), copy("older", -50), copy("edge", 0)]
        #expect(plan.due(copies, now: 1000) == ["older", "edge", "old"])
        #expect(plan.due(copies, now: 999) == ["older"])
        #expect(plan.due([], now: 1000).isEmpty)
    }

    @Test func aBacklogIsSpreadOverThePeriod() {
        // 100 copies of 100 bytes all overdue; each pass reads twice its even share (2 × 10000 × 100 / 1000 = 2000 bytes).
        let plan = ScrubPlan(period: 1000, interval: 100)
        let copies = (0..<100).map { copy(String(format: "c%03d", $0), Int64($0)) }
        let first = plan.due(copies, now: 5000)
        #expect(first.count == 20)
        #expect(first.first == "c000")
        // One big overdue copy is always read, even beyond the share.
        #expect(plan.due([copy("huge", 0, 1 << 40), copy("small", 1)], now: 5000) == ["huge"])
    }

    @Test func theOldestCheckIsTheStatusAge() {
        #expect(ScrubPlan.oldestCheck([copy("a", 100), copy("b", 40)], now: 140) == 100)
        #expect(ScrubPlan.oldestCheck([], now: 140) == 0)
    }
}

@Suite struct ReadPacerTests {
    @Test func readsKeepToTheRateAndAStopEndsThem() {
        let pacer = ReadPacer(bytesPerSecond: 4_000_000)
        let started = SystemTime.monotonic()
        for _ in 0..<4 { #expect(pacer.take(500_000)) }
        // 2 MB at 4 MB/s: at least half a second.
        #expect(SystemTime.monotonic() - started >= 0.45)
        pacer.stop()
        #expect(!pacer.take(1))
    }

    @Test func aScrubThreadReadsAtIdlePriority() async {
        let idle = await SystemThread.run { () -> Int? in
            guard SystemThread.lowerIOPriority() else { return -1 }
            return SystemThread.ioPriorityClass
        }
        #expect(idle == 3)
        let normal = await SystemThread.run { SystemThread.ioPriorityClass }
        #expect(normal != 3, "a new thread does not inherit it")
    }
}
