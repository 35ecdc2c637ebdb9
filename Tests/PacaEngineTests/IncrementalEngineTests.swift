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

/// Incremental backups through the engine: what each backup writes and references, restores of
/// every backup after pruning, the fan-in bound and min_live, the change index lost and made
/// again, and references across verify, delete and catalog rebuild.
@Suite struct IncrementalEngineTests {
    /// A run of the engine on `ws` with a manual clock, one set `data` over `source`, one
    /// directory target `local`.
    final class Run: @unchecked Sendable {
        let ws: TemporaryFolder
        let clock = ManualClock(wall: "2026-11-01T02:00:00Z")
        let catalog: Catalog
        var engine: BackupEngine

        init(_ ws: TemporaryFolder, _ adjust: (inout DaemonConfig) -> Void = { _ in }) async throws {
            self.ws = ws
            (catalog, _) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: clock.wall)
            var config = ws.config()
            adjust(&config)
            engine = BackupEngine(
                config: config, catalog: catalog, clock: clock.serviceClock, logger: quietLogger,
                factory: TargetFactory(environment: [:], hostName: "h"))
        }

        func backup(_ mode: BackupEngine.BackupMode = .changes) async throws -> BackupRecord {
            clock.advance(by: .seconds(60))
            let record = try await engine.outcome(of: try await engine.requestBackup(set: nil, trigger: .manual, reason: nil, mode: mode))
            #expect(record.status == .complete, "\(record.error ?? "")")
            return record
        }

        var restores = 0

        func restored(_ id: String) async throws -> [String: String] {
            restores += 1
            let folder = ws.sub("restore-\(restores)")
            let result = try await engine.restore(id, to: folder, includes: [], overwrite: false)
            #expect(result.problems.isEmpty, "\(result.problems)")
            return treeSnapshot(folder + "/source")
        }

        func archives() -> [String] { Files.names(in: ws.sub("backups/data")).filter { $0.hasSuffix(".zip") }.sorted() }
    }

    func workspace(_ ws: TemporaryFolder) {
        ws.write("source/a.txt", Array("alpha\n".utf8), mtime: 1_700_000_000)
        ws.write("source/big.bin", noise(200_000), mtime: 1_700_000_000)
        ws.write("source/c/config.yaml", Array("lr: 0.1\n".utf8), mtime: 1_700_000_000)
    }

    /// Each backup writes what changed and references the rest; every one restores whole, also
    /// after retention with keep_last: 1 removed what no kept backup needs.
    @Test func everyBackupRestoresWholeAfterPruning() async throws {
        let ws = TemporaryFolder()
        workspace(ws)
        let run = try await Run(ws)
        try await withRunning(run.engine) {
            let b1 = try await run.backup()
            #expect(b1.type == .full && b1.references.isEmpty && b1.base == nil)
            let tree1 = treeSnapshot(ws.sub("source"))

            ws.write("source/a.txt", Array("alpha, second\n".utf8))
            let b2 = try await run.backup()
            #expect(b2.type == .incremental)
            #expect(b2.base == b1.id)
            #expect(b2.references == [b1.id])
            #expect(b2.files == 3 && b2.filesReferenced == 2)
            #expect(b2.bytesWritten == 14)
            #expect(b2.bytesIn == 200_000 + 14 + 8)
            #expect(b2.bytesStored < b1.bytesStored / 10)
            let tree2 = treeSnapshot(ws.sub("source"))

            ws.write("source/a.txt", Array("alpha, third\n".utf8))
            ws.write("source/new/fresh.txt", Array("new\n".utf8))
            let b3 = try await run.backup()
            #expect(b3.references == [b1.id], "b2's only file changed again: b3 does not need it")
            let tree3 = treeSnapshot(ws.sub("source"))

            #expect(try await run.restored(b1.id) == tree1)
            #expect(try await run.restored(b2.id) == tree2)
            #expect(try await run.restored(b3.id) == tree3)

            var config = ws.config()
            config.sets[0].retention = RetentionPolicy(keepLast: 1)
            await run.engine.apply(config)
            let dry = try await run.engine.prune(dryRun: true)
            #expect(dry.removed.map(\.id) == [b2.id])
            let kept = try #require(dry.kept.first { $0.id == b1.id })
            #expect(kept.reasons == ["referenced"] && kept.referencedBy == [b3.id] && kept.bytes == b1.bytesStored)
            let report = try await run.engine.prune(dryRun: false)
            #expect(report.removed.map(\.id) == [b2.id])
            #expect(run.archives() == [b1.id + ".zip", b3.id + ".zip"])
            #expect(try await run.restored(b3.id) == tree3)
            // b1 is no restore point any more, only b3's source of bytes.
            #expect(await run.catalog.record(b1.id)?.retired == true)
            await #expect {
                _ = try await run.engine.restore(b1.id, to: ws.sub("nope"), includes: [], overwrite: false)
            } throws: { error in
                (error as? EngineError)?.message.contains("retired") == true
            }
            // Once b3 no longer needs it (a full backup and a prune later), b1 goes.
            _ = try await run.backup(.full)
            _ = try await run.engine.prune(dryRun: false)
            #expect(run.archives().count == 1)
        }
    }

    /// A large file patched in place costs its changed part, through the engine: the record says
    /// so (and a catalog rebuild says the same), the backup restores and deep-verifies whole, and
    /// retention keeps the archive that holds the rest of the file.
    @Test func aLargeFilePatchedInPlaceWritesOnlyItsChangedPart() async throws {
        let ws = TemporaryFolder()
        workspace(ws)
        ws.write("source/model.pt", noise(5 << 20, seed: 7), mtime: 1_700_000_000)
        let run = try await Run(ws) { $0.sets[0].retention = RetentionPolicy(keepLast: 1) }
        try await withRunning(run.engine) {
            let b1 = try await run.backup()
            let handle = try #require(FileHandle(forUpdatingAtPath: ws.sub("source/model.pt")))
            try handle.seek(toOffset: 3 << 20)
            try handle.write(contentsOf: Data(noise(300, seed: 8)))
            try handle.close()
            let b2 = try await run.backup()
            #expect(b2.references == [b1.id])
            #expect(b2.bytesWritten == 1 << 20, "one changed part of 1 MiB: \(b2.bytesWritten)")
            #expect(b2.bytesStored < 1 << 21)
            #expect(b2.bytesIn == b1.bytesIn)
            #expect(try await run.restored(b2.id) == treeSnapshot(ws.sub("source")))
            #expect(try await run.engine.verify(b2.id, deep: true).isValid)
            _ = try await run.engine.prune(dryRun: false)
            #expect(run.archives() == [b1.id + ".zip", b2.id + ".zip"], "b1 holds the rest of model.pt")
            #expect(try await run.restored(b2.id) == treeSnapshot(ws.sub("source")))

            var rebuilt = BackupRecord(id: b2.id, set: "data", trigger: .manual, reason: nil, startedAt: 0, target: "local", path: "")
            // The summary a rebuild streams is the one of the manifest held whole.
            let archive = try ArchiveReader(path: ws.sub("backups/data/\(b2.id).zip"))
            let streamed = try ManifestSummary.read(archive)
            #expect(streamed.summary == ManifestSummary(try archive.manifest()))
            #expect(streamed.sha256 == (try archive.manifestWithDigest().sha256))
            #expect(streamed.summary.filesReferenced > 0 && streamed.summary.bytesHeld > 0)
            rebuilt.describe(streamed.summary)
            #expect(rebuilt.bytesWritten == b2.bytesWritten && rebuilt.files == b2.files && rebuilt.bytesIn == b2.bytesIn)
            #expect(rebuilt.bytesReferenced == b2.bytesReferenced && rebuilt.references == b2.references)
        }
    }

    /// A referenced backup cannot be deleted on its own; the backup that needs it can, and then it can.
    @Test func aReferencedBackupIsNotDeletedFromUnderAnother() async throws {
        let ws = TemporaryFolder()
        workspace(ws)
        let run = try await Run(ws)
        try await withRunning(run.engine) {
            let b1 = try await run.backup()
            ws.write("source/a.txt", Array("changed\n".utf8))
            let b2 = try await run.backup()
            await #expect {
                _ = try await run.engine.delete(b1.id)
            } throws: { error in
                (error as? EngineError)?.message.contains(b2.id) == true
            }
            #expect(run.archives().contains(b1.id + ".zip"))
            _ = try await run.engine.delete(b2.id)
            _ = try await run.engine.delete(b1.id)
            #expect(run.archives().isEmpty)
        }
    }

    /// `--full`, `--rehash`, `full_every` and `incremental: false`.
    @Test func modesAndSettingsChooseWhatIsWritten() async throws {
        let ws = TemporaryFolder()
        workspace(ws)
        let run = try await Run(ws) { $0.sets[0].fullEvery = 3 }
        try await withRunning(run.engine) {
            let b1 = try await run.backup()
            let b2 = try await run.backup()
            #expect(b2.type == .incremental && b2.bytesWritten == 0)
            let b3 = try await run.backup()
            #expect(b3.type == .incremental)
            let b4 = try await run.backup()
            #expect(b4.type == .full && b4.bytesWritten == b1.bytesWritten, "full_every: 3 makes every third backup full")
            let b5 = try await run.backup(.full)
            #expect(b5.type == .full && b5.base == nil)
            // The file is written again with the same bytes and times: --rehash reads and references it.
            ws.write("source/a.txt", Array("alpha\n".utf8), mtime: 1_700_000_000)
            let rehashed = try await run.backup(.rehash)
            #expect(rehashed.type == .incremental && rehashed.references == [b5.id] && rehashed.bytesWritten == 0)

            var config = ws.config()
            config.sets[0].incremental.isEnabled = false
            await run.engine.apply(config)
            let b6 = try await run.backup()
            #expect(b6.type == .full && b6.base == nil)
            #expect(!FileManager.default.fileExists(atPath: ws.sub("state/index/data.idx.new")))
        }
    }

    /// With `max_sources: 1`, a backup that would need two archives stores the files of the less
    /// used one again; that archive then goes with retention, and the newest restores whole.
    @Test func theFanInBoundCarriesFilesForward() async throws {
        let ws = TemporaryFolder()
        workspace(ws)
        let run = try await Run(ws) { $0.sets[0].incremental.maxSources = 1 }
        try await withRunning(run.engine) {
            let b1 = try await run.backup()
            ws.write("source/a.txt", Array("alpha, second\n".utf8))
            let b2 = try await run.backup()
            #expect(b2.references == [b1.id])
            ws.write("source/c/config.yaml", Array("lr: 0.2\n".utf8))
            let b3 = try await run.backup()
            // b1 (big.bin) and b2 (a.txt) would both be needed: b2, the less used, is retired.
            #expect(b3.references == [b1.id])
            #expect(b3.bytesWritten == 14 + 8)
            let tree = treeSnapshot(ws.sub("source"))
            var config = ws.config()
            config.sets[0].incremental.maxSources = 1
            config.sets[0].retention = RetentionPolicy(keepLast: 1)
            await run.engine.apply(config)
            _ = try await run.engine.prune(dryRun: false)
            #expect(run.archives() == [b1.id + ".zip", b3.id + ".zip"])
            #expect(try await run.restored(b3.id) == tree)
        }
    }

    /// When the bytes still used from an archive fall under `min_live` of what it holds, the next
    /// backup stores them again, so the archive can go.
    @Test func minLiveRetiresAThinlyUsedArchive() async throws {
        let ws = TemporaryFolder()
        workspace(ws)
        let run = try await Run(ws)
        try await withRunning(run.engine) {
            let b1 = try await run.backup()
            ws.write("source/big.bin", noise(200_000, seed: 9))
            let b2 = try await run.backup()
            #expect(b2.references == [b1.id])
            // b1 now serves 14 of its 200,014 bytes: under min_live, so b3 holds them itself.
            let b3 = try await run.backup()
            #expect(b3.references == [b2.id])
            #expect(b3.bytesWritten == 6 + 8)
            var config = ws.config()
            config.sets[0].retention = RetentionPolicy(keepLast: 1)
            await run.engine.apply(config)
            _ = try await run.engine.prune(dryRun: false)
            #expect(run.archives() == [b2.id + ".zip", b3.id + ".zip"])
            #expect(try await run.restored(b3.id) == treeSnapshot(ws.sub("source")))
        }
    }

    /// A lost change index is made again from the base's manifest: the next backup still writes
    /// only what changed.
    @Test func aLostChangeIndexIsMadeAgainFromTheManifest() async throws {
        let ws = TemporaryFolder()
        workspace(ws)
        let run = try await Run(ws)
        try await withRunning(run.engine) {
            let b1 = try await run.backup()
            #expect(FileManager.default.fileExists(atPath: ws.sub("state/index/data.idx")))
            try FileManager.default.removeItem(atPath: ws.sub("state/index/data.idx"))
            ws.write("source/a.txt", Array("alpha, second\n".utf8))
            let b2 = try await run.backup()
            #expect(b2.references == [b1.id] && b2.bytesWritten == 14)
        }
    }

    /// Verify checks the referenced archives too: one removed from the target is a problem.
    @Test func verifyChecksTheReferencedArchives() async throws {
        let ws = TemporaryFolder()
        workspace(ws)
        let run = try await Run(ws)
        try await withRunning(run.engine) {
            let b1 = try await run.backup()
            ws.write("source/a.txt", Array("changed\n".utf8))
            let b2 = try await run.backup()
            #expect(try await run.engine.verify(b2.id).isValid)
            try FileManager.default.removeItem(atPath: ws.sub("backups/data/\(b1.id).zip.sha256"))
            try FileManager.default.removeItem(atPath: ws.sub("backups/data/\(b1.id).zip"))
            let result = try await run.engine.verify(b2.id)
            #expect(!result.isValid)
            #expect(result.problems.contains { $0.message.contains(b1.id) })
        }
    }

    /// A referenced archive replaced consistently (content, CRC, sidecar and catalog digest all
    /// agree) passes the shallow check; --deep reads the referenced files and catches it.
    @Test func deepVerifyReadsTheReferencedFiles() async throws {
        let ws = TemporaryFolder()
        workspace(ws)
        let run = try await Run(ws)
        try await withRunning(run.engine) {
            let b1 = try await run.backup()
            ws.write("source/a.txt", Array("changed\n".utf8))
            let b2 = try await run.backup()
            #expect(try await run.engine.verify(b2.id, deep: true).isValid)
            // Forge b1: the same names, other bytes, everything consistent with itself.
            ws.write("forged/source/big.bin", noise(200_000, seed: 99))
            ws.write("forged/source/c/config.yaml", Array("lr: 9.9\n".utf8))
            let archive = ws.sub("backups/data/\(b1.id).zip")
            try FileManager.default.removeItem(atPath: archive)
            try FileManager.default.removeItem(atPath: archive + ".sha256")
            let forged = try ArchiveCreator.create(
                sources: [ws.sub("forged/source")], at: archive, header: ManifestHeader(backupID: b1.id, createdAt: 0))
            try await run.catalog.update(b1.id) { $0.sha256 = forged.sha256 }
            #expect(try await run.engine.verify(b2.id).isValid, "the shallow check sees a consistent archive")
            let deep = try await run.engine.verify(b2.id, deep: true)
            #expect(!deep.isValid)
            #expect(deep.problems.contains { $0.entry == "source/big.bin" && $0.code == .checksumMismatch })
        }
    }

    /// Catalog rebuild restores the chain's references from the manifests, and the newest
    /// backup restores whole from the rebuilt catalog.
    @Test func catalogRebuildRestoresTheReferences() async throws {
        let ws = TemporaryFolder()
        workspace(ws)
        var ids: [String] = []
        do {
            let run = try await Run(ws)
            try await withRunning(run.engine) {
                ids.append(try await run.backup().id)
                ws.write("source/a.txt", Array("changed\n".utf8))
                ids.append(try await run.backup().id)
            }
        }
        try FileManager.default.removeItem(atPath: ws.sub("state"))
        let run = try await Run(ws)
        try await withRunning(run.engine) {
            let report = try await run.engine.rebuildCatalog(from: "local")
            #expect(report.added.sorted() == ids)
            let second = try #require(await run.catalog.record(ids[1]))
            #expect(second.type == .incremental && second.references == [ids[0]] && second.base == ids[0])
            #expect(second.bytesWritten == 8 && second.filesReferenced == 2)
            #expect(try await run.restored(ids[1]) == treeSnapshot(ws.sub("source")))
        }
    }

    /// A backup is whole on a target only with the archives it references: a retry to a target
    /// that lacks one copies that archive first. And a backup whose base is not on every target it
    /// goes to (an emergency goes to all of them) is written full.
    @Test func targetsGetTheReferencedArchivesToo() async throws {
        let ws = TemporaryFolder()
        workspace(ws)
        let run = try await Run(ws) { config in
            config.targets.append(DaemonConfig.Target(name: "spare", kind: .directory(path: ws.sub("spare"))))
            config.sets[0].targets = ["local", "spare"]
        }
        _ = await run.engine.prepare()
        try await withRunning(run.engine) {
            let b1 = try await run.backup()
            ws.write("source/a.txt", Array("changed\n".utf8))
            let b2 = try await run.backup()
            #expect(b2.references == [b1.id])
            // As if "spare" had never received b1, and b2's copy there had failed.
            try FileManager.default.removeItem(atPath: ws.sub("spare/data/\(b1.id).zip"))
            try FileManager.default.removeItem(atPath: ws.sub("spare/data/\(b2.id).zip"))
            try await run.catalog.update(b1.id) { $0.deliveries.removeAll { $0.target == "spare" } }
            try await run.catalog.update(b2.id) { record in
                if let index = record.deliveries.firstIndex(where: { $0.target == "spare" }) {
                    record.deliveries[index].status = .failed
                    record.deliveries[index].nextAttemptAt = 0
                }
            }
            await run.engine.retryDueDeliveries()
            #expect(FileManager.default.fileExists(atPath: ws.sub("spare/data/\(b1.id).zip")), "the referenced archive came first")
            #expect(FileManager.default.fileExists(atPath: ws.sub("spare/data/\(b2.id).zip")))
            #expect(await run.catalog.record(b1.id)?.deliveries.contains { $0.target == "spare" && $0.status == .ok } == true)
            #expect(await run.catalog.record(b2.id)?.deliveries.allSatisfy { $0.status == .ok } == true)

            // A third target that holds nothing: an emergency goes there too, so it is written full.
            var config = ws.config()
            config.targets.append(DaemonConfig.Target(name: "spare", kind: .directory(path: ws.sub("spare"))))
            config.targets.append(DaemonConfig.Target(name: "usb", kind: .directory(path: ws.sub("usb"))))
            config.sets[0].targets = ["local", "spare"]
            await run.engine.apply(config)
            _ = await run.engine.prepare()
            run.clock.advance(by: .seconds(60))
            let emergency = try await run.engine.outcome(
                of: try await run.engine.requestBackup(set: nil, trigger: .emergency, reason: "disk failing"))
            #expect(emergency.status == .complete && emergency.type == .full && emergency.deliveries.count == 3)
        }
    }

    @Test func retirementPicksThinAndLeastUsedArchives() {
        typealias Settings = DaemonConfig.BackupSet.Incremental
        let live: [String: UInt64] = ["a": 10, "b": 900, "c": 500, "gone": 5]
        let held: [String: UInt64] = ["a": 1000, "b": 1000, "c": 600]
        #expect(Settings().retiring(live: live, held: held) == ["a", "gone"])
        #expect(Settings(maxSources: 1).retiring(live: live, held: held) == ["a", "gone", "c"])
        #expect(Settings(minLive: 0).retiring(live: live, held: held) == ["gone"])
    }
}

/// Incremental backups on a bucket: a partial restore reads the entries it needs in ranges, and
/// a catalog rebuilt from the bucket knows the chain.
@Suite(.enabled(if: S3TestServer.isEnabled, "needs the SeaweedFS server that `make test` starts"))
struct IncrementalS3Tests {
    @Test func aPartialRestoreReadsRangesAndARebuildKnowsTheChain() async throws {
        let ws = TemporaryFolder()
        let checkpoint = randomBytes(12 << 20)
        ws.write("source/ckpt/model.pt", checkpoint)
        ws.write("source/configs/train.yaml", Array("lr: 0.1\n".utf8))
        let (bucket, _) = try await S3TestServer.bucket()
        var config = ws.config()
        config.targets = [S3TestServer.target("remote", bucket: bucket)]
        config.sets[0].targets = ["remote"]
        let clock = ManualClock(wall: "2026-11-01T02:00:00Z")
        var ids: [String] = []
        do {
            let (catalog, _) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: clock.wall)
            let engine = BackupEngine(
                config: config, catalog: catalog, clock: clock.serviceClock, logger: quietLogger,
                factory: TargetFactory(environment: S3TestServer.keys, hostName: "h"))
            _ = await engine.prepare()
            try await withRunning(engine) {
                let b1 = try await engine.outcome(of: try await engine.requestBackup(set: nil, trigger: .manual, reason: nil))
                clock.advance(by: .seconds(60))
                ws.write("source/configs/train.yaml", Array("lr: 0.2\n".utf8))
                let b2 = try await engine.outcome(of: try await engine.requestBackup(set: nil, trigger: .manual, reason: nil))
                #expect(b2.type == .incremental && b2.references == [b1.id], "\(b2.error ?? "")")
                ids = [b1.id, b2.id]

                // One config file out of a 12 MiB checkpoint backup: ranges, not a download.
                let some = try await engine.restore(b2.id, to: ws.sub("some"), includes: ["source/configs/"], overwrite: false)
                #expect(some.problems.isEmpty && some.files == 1, "\(some.problems)")
                #expect(ws.read("some/source/configs/train.yaml") == Array("lr: 0.2\n".utf8))
                #expect((some.bytesFetched ?? .max) < 3 << 20, "fetched \(some.bytesFetched ?? 0) bytes")
                // The checkpoint alone comes from b1's archive, still in ranges.
                let big = try await engine.restore(b2.id, to: ws.sub("big"), includes: ["source/ckpt/"], overwrite: false)
                #expect(big.problems.isEmpty)
                #expect(ws.read("big/source/ckpt/model.pt") == checkpoint)
                let whole = try await engine.restore(b2.id, to: ws.sub("whole"), includes: [], overwrite: false)
                #expect(whole.problems.isEmpty && whole.bytesFetched == nil)
                #expect(treeSnapshot(ws.sub("whole/source")) == treeSnapshot(ws.sub("source")))

                // A patch inside the checkpoint: b3 stores one 1 MiB part, and the checkpoint then
                // restores from b1's entry and b3's part, still in ranges.
                clock.advance(by: .seconds(60))
                var patched = checkpoint
                for i in 0..<1000 { patched[(6 << 20) + i] ^= 0x5A }
                ws.write("source/ckpt/model.pt", patched)
                let b3 = try await engine.outcome(of: try await engine.requestBackup(set: nil, trigger: .manual, reason: nil))
                #expect(b3.references == [b1.id, b2.id] && b3.bytesWritten == 1 << 20, "\(b3.references) \(b3.bytesWritten)")
                ids.append(b3.id)
                let part = try await engine.restore(b3.id, to: ws.sub("part"), includes: ["source/ckpt/"], overwrite: false)
                #expect(part.problems.isEmpty, "\(part.problems)")
                #expect(ws.read("part/source/ckpt/model.pt") == patched)
                #expect((part.bytesFetched ?? .max) < 15 << 20, "fetched \(part.bytesFetched ?? 0) bytes")
            }
        }
        try FileManager.default.removeItem(atPath: ws.sub("state"))
        let (catalog, _) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: clock.wall)
        let engine = BackupEngine(
            config: config, catalog: catalog, clock: clock.serviceClock, logger: quietLogger,
            factory: TargetFactory(environment: S3TestServer.keys, hostName: "h"))
        try await withRunning(engine) {
            let report = try await engine.rebuildCatalog(from: "remote")
            #expect(report.added.sorted() == ids)
            #expect(await catalog.record(ids[1])?.references == [ids[0]])
            #expect(await catalog.record(ids[2])?.references == [ids[0], ids[1]])
            let restored = try await engine.restore(ids[2], to: ws.sub("rebuilt"), includes: [], overwrite: false)
            #expect(restored.problems.isEmpty)
            #expect(treeSnapshot(ws.sub("rebuilt/source")) == treeSnapshot(ws.sub("source")))
        }
    }
}
