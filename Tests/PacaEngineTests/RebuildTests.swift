import Foundation
import PacaCatalog
import PacaConfig
import PacaCore
import PacaTargets
import PacaTestSupport
import Testing

@testable import PacaEngine

@Suite struct CatalogRebuildTests {
    @Test func aLostStateDirectoryIsRebuiltFromADirectoryTarget() async throws {
        let ws = TemporaryFolder()
        ws.write("source/model.bin", noise(120_000))
        ws.write("source/conf/a.yaml", Array("lr: 1\n".utf8))
        let clock = ManualClock(wall: "2026-11-01T02:00:00Z")
        let (catalog, _) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: clock.wall)
        let factory = TargetFactory(environment: [:], hostName: "h")
        let engine = BackupEngine(config: ws.config(), catalog: catalog, clock: clock.serviceClock, logger: quietLogger, factory: factory)
        var originals: [BackupRecord] = []
        try await withRunning(engine) {
            for day in 1...3 {
                clock.advance(to: "2026-11-0\(day)T02:00:00Z")
                originals.append(try await engine.outcome(of: try await engine.requestBackup(set: nil, trigger: .manual, reason: nil)))
            }
        }
        // By hand: a copy under a wrong name, and something that is not an archive.
        try FileManager.default.copyItem(
            atPath: ws.sub("backups/data/\(originals[0].id).zip"), toPath: ws.sub("backups/data/20261020T000000Z-data-0bad.zip"))
        ws.write("backups/data/20261021T000000Z-data-junk.zip", Array("not a zip".utf8))

        // The machine loses its state directory.
        try FileManager.default.removeItem(atPath: ws.sub("state"))
        let (fresh, _) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: clock.wall)
        let restarted = BackupEngine(config: ws.config(), catalog: fresh, clock: clock.serviceClock, logger: quietLogger, factory: factory)
        let notes = await restarted.prepare()
        #expect(notes.filter { $0.contains("which the catalog does not know") }.count == 5, "\(notes)")

        let report = try await restarted.rebuildCatalog(from: "local")
        #expect(report.added == originals.map(\.id))
        #expect(report.known == 0 && report.updated.isEmpty)
        #expect(report.problems.count == 2, "\(report.problems)")
        #expect(report.problems["data/20261020T000000Z-data-0bad.zip"]?.contains("disagree") == true)
        #expect(report.problems["data/20261021T000000Z-data-junk.zip"] != nil)
        for original in originals {
            let rebuilt = try #require(await fresh.record(original.id))
            #expect(rebuilt.status == .unverified && rebuilt.trigger == .rebuilt)
            #expect(rebuilt.set == original.set && rebuilt.startedAt == original.startedAt)
            #expect(rebuilt.files == original.files && rebuilt.bytesIn == original.bytesIn && rebuilt.bytesStored == original.bytesStored)
            #expect(rebuilt.sha256 == original.sha256)
            #expect(rebuilt.deliveries.map(\.status) == [.ok])
        }
        let restored = try await restarted.restore(originals[2].id, to: ws.sub("r"), includes: [], overwrite: false)
        #expect(restored.files == 2)
        #expect(FileManager.default.contents(atPath: ws.sub("r/source/model.bin")) == Data(noise(120_000)))
        #expect(try await restarted.verify(originals[2].id).isValid)
        #expect(await fresh.record(originals[2].id)?.status == .complete)
        #expect(await fresh.record(originals[2].id)?.manifestSha256 == originals[2].manifestSha256)

        let again = try await restarted.rebuildCatalog(from: "local")
        #expect(again.added.isEmpty && again.known == 3)
        await #expect(throws: EngineError.self) { try await restarted.rebuildCatalog(from: "nope") }
    }
}

extension S3TargetTests {
    @Test func theCatalogIsRebuiltFromABucketWithRangedReads() async throws {
        let ws = TemporaryFolder()
        let big = randomBytes(7 << 20)
        ws.write("source/checkpoint.pt", big)
        let (bucket, _) = try await S3TestServer.bucket()
        var config = ws.config()
        config.targets = [S3TestServer.target("remote", bucket: bucket)]
        config.sets[0].targets = ["remote"]
        let factory = TargetFactory(environment: S3TestServer.keys, hostName: "h")
        let (catalog, _) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: .system)
        let engine = BackupEngine(config: config, catalog: catalog, logger: quietLogger, factory: factory)
        let original = try await withRunning(engine) {
            try await engine.outcome(of: try await engine.requestBackup(set: nil, trigger: .manual, reason: nil))
        }
        #expect(original.status == .complete)

        try FileManager.default.removeItem(atPath: ws.sub("state"))
        let (fresh, _) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: .system)
        let restarted = BackupEngine(config: config, catalog: fresh, logger: quietLogger, factory: factory)
        let report = try await restarted.rebuildCatalog(from: "remote")
        #expect(report.added == [original.id], "\(report.problems)")
        let rebuilt = try #require(await fresh.record(original.id))
        #expect(rebuilt.sha256 == original.sha256 && rebuilt.bytesIn == original.bytesIn && rebuilt.path == original.path)
        _ = try await restarted.restore(original.id, to: ws.sub("r"), includes: [], overwrite: false)
        #expect(FileManager.default.contents(atPath: ws.sub("r/source/checkpoint.pt")) == Data(big))
    }
}
