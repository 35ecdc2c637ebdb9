import Crypto
import Foundation
import PacaArchive
import PacaCatalog
import PacaConfig
import PacaCore
import PacaTargets
import PacaTestSupport
import Testing

@testable import PacaEngine

/// The catalog holds each archive to the digests recorded when it was written: a copy rewritten
/// consistently on the target (entries, CRCs and manifest all agreeing, the sidecar removed) is
/// caught by verify, refused by restore, and never attached by a rebuild.
@Suite struct CatalogAuthorityTests {
    let ws = TemporaryFolder()

    func engine(_ catalog: Catalog) -> BackupEngine {
        BackupEngine(
            config: ws.config(directoryTargets: ["a", "b"]), catalog: catalog, logger: quietLogger,
            factory: TargetFactory(environment: [:], hostName: "h"))
    }

    /// Backs up `source` (a model file and a config) and returns the record.
    func backUp(_ engine: BackupEngine) async throws -> BackupRecord {
        try await withRunning(engine) {
            try await engine.outcome(of: try await engine.requestBackup(set: nil, trigger: .manual, reason: nil))
        }
    }

    /// Rewrites the archive of `record` on target `root` as a valid archive of the same backup
    /// id holding other bytes, and removes its sidecar: what someone with write access to the
    /// target could do.
    func forge(_ record: BackupRecord, on root: String) throws {
        ws.write("forged/source/model.bin", Array("evil weights".utf8))
        ws.write("forged/source/conf/a.yaml", Array("lr: 1\n".utf8))
        let path = ws.sub("\(root)/data/\(record.id).zip")
        try FileManager.default.removeItem(atPath: path)
        _ = try ArchiveCreator.create(
            sources: [ws.sub("forged/source")], at: path,
            header: ManifestHeader(backupID: record.id, setName: "data", createdAt: record.startedAt))
        try FileManager.default.removeItem(atPath: path + ".sha256")
        #expect(try ArchiveVerifier.verify(path).isValid, "the forgery is a valid archive on its own")
    }

    @Test func theCatalogRecordsTheManifestDigest() async throws {
        ws.write("source/model.bin", noise(50_000))
        let (catalog, _) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: .system)
        let record = try await backUp(engine(catalog))
        let manifestBytes = try ArchiveReader(path: ws.sub("a/data/\(record.id).zip")).manifestWithDigest()
        #expect(record.manifestSha256 == manifestBytes.sha256)
        #expect(record.manifestSha256?.count == 64)
        #expect(await catalog.record(record.id)?.manifestSha256 == record.manifestSha256)
    }

    @Test func verifyAndRestoreRefuseAConsistentlyRewrittenArchive() async throws {
        ws.write("source/model.bin", noise(50_000))
        ws.write("source/conf/a.yaml", Array("lr: 1\n".utf8))
        let (catalog, _) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: .system)
        let engine = engine(catalog)
        let record = try await backUp(engine)
        // Both copies forged: nothing good is left to fall back on.
        try forge(record, on: "a")
        try forge(record, on: "b")

        let verified = try await engine.verify(record.id)
        #expect(!verified.isValid)
        #expect(verified.catalog == "mismatch")
        #expect(verified.problems.contains { $0.message.contains("the catalog recorded") && $0.message.contains("not the archive") })
        #expect(verified.problems.contains { $0.message.contains("manifest is not the one written") })
        #expect(verified.problems.contains { $0.message.contains("sidecar") && $0.message.contains("missing") })
        #expect(await catalog.record(record.id)?.verified == false)

        let error = await #expect(throws: EngineError.self) {
            _ = try await engine.restore(record.id, to: ws.sub("r"), includes: [], overwrite: false)
        }
        #expect(error?.message.contains("manifest is not the one written with the backup") == true, "\(String(describing: error))")
        #expect(!FileManager.default.fileExists(atPath: ws.sub("r/source/model.bin")), "nothing of the forgery is written")
        // The caller's own restore is refused the same way: the session names the recorded digest.
        let grant = try await engine.openRestore(record.id, owner: 0, access: nil)
        #expect(grant.manifestSha256 == record.manifestSha256)
    }

    @Test func aMissingSidecarIsAProblemNotAPass() async throws {
        ws.write("source/model.bin", noise(50_000))
        let (catalog, _) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: .system)
        let engine = engine(catalog)
        let record = try await backUp(engine)
        try FileManager.default.removeItem(atPath: ws.sub("a/data/\(record.id).zip.sha256"))
        let verified = try await engine.verify(record.id)
        #expect(!verified.isValid && verified.sidecar == "missing" && verified.catalog == "ok")
        #expect(verified.problems.map(\.message) == ["the sidecar \(ws.sub("a/data/\(record.id).zip")).sha256 is missing"])
        // On its own (pacactl archive verify), an archive without a sidecar is checked by its contents.
        #expect(try ArchiveVerifier.verify(ws.sub("a/data/\(record.id).zip")).isValid)
    }

    @Test func anExtractionHeldToTheRecordedManifestRefusesAnother() throws {
        ws.write("source/model.bin", Array("good weights".utf8))
        let path = ws.sub("x.zip")
        _ = try ArchiveCreator.create(sources: [ws.sub("source")], at: path, header: ManifestHeader(backupID: "b1", createdAt: 0))
        ws.write("other/source/model.bin", Array("evil weights".utf8))
        let forged = ws.sub("y.zip")
        _ = try ArchiveCreator.create(sources: [ws.sub("other/source")], at: forged, header: ManifestHeader(backupID: "b1", createdAt: 0))
        // The forged archive's own manifest says the evil digest; give the extractor the good one's.
        let good = try ArchiveReader(path: path).manifestWithDigest().sha256
        let error = #expect(throws: ArchiveError.self) {
            _ = try ArchiveExtractor.extract(forged, to: ws.sub("out"), options: ExtractionOptions(manifestSha256: good))
        }
        #expect(error?.code == .checksumMismatch)
        #expect(!FileManager.default.fileExists(atPath: ws.sub("out")), "refused before anything is written")
        // With the matching digest the good archive restores.
        let restored = try ArchiveExtractor.extract(path, to: ws.sub("ok"), options: ExtractionOptions(manifestSha256: good))
        #expect(restored.problems.isEmpty && restored.files == 1)
    }

    @Test func rebuildAttachesOnlyCopiesWithTheRecordedDigests() async throws {
        ws.write("source/model.bin", noise(50_000))
        ws.write("source/conf/a.yaml", Array("lr: 1\n".utf8))
        let (catalog, _) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: .system)
        let engine = engine(catalog)
        let record = try await backUp(engine)
        // Target b's copy is forged, and the catalog forgets it was ever there.
        try forge(record, on: "b")
        try await catalog.update(record.id) { $0.deliveries.removeAll { $0.target == "b" } }
        let report = try await engine.rebuildCatalog(from: "b")
        #expect(report.updated.isEmpty && report.added.isEmpty)
        #expect(report.problems["data/\(record.id).zip"]?.contains("not the archive cataloged") == true, "\(report.problems)")
        #expect(await catalog.record(record.id)?.deliveries.map(\.target) == ["a"])

        // A true copy (the sidecar and manifest as written) is attached.
        try FileManager.default.removeItem(atPath: ws.sub("b/data/\(record.id).zip"))
        try FileManager.default.copyItem(atPath: ws.sub("a/data/\(record.id).zip"), toPath: ws.sub("b/data/\(record.id).zip"))
        try FileManager.default.copyItem(
            atPath: ws.sub("a/data/\(record.id).zip.sha256"), toPath: ws.sub("b/data/\(record.id).zip.sha256"))
        let again = try await engine.rebuildCatalog(from: "b")
        #expect(again.updated == [record.id], "\(again.problems)")
        #expect(await catalog.record(record.id)?.deliveries.map(\.target) == ["a", "b"])
    }

    @Test func anArchiveTheCatalogNeverKnewIsUnverifiedUntilAVerifyPasses() async throws {
        ws.write("source/model.bin", noise(50_000))
        let (catalog, _) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: .system)
        let original = try await backUp(engine(catalog))
        try FileManager.default.removeItem(atPath: ws.sub("state"))
        let (fresh, _) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: .system)
        let engine = engine(fresh)
        _ = await engine.prepare()
        let report = try await engine.rebuildCatalog(from: "a")
        #expect(report.added == [original.id])
        let rebuilt = try #require(await fresh.record(original.id))
        #expect(rebuilt.status == .unverified && !rebuilt.isRestorePoint && rebuilt.isReadable)
        #expect(rebuilt.manifestSha256 == nil && rebuilt.sha256 == original.sha256)
        // Not a restore point: retention and the next backup's base do not count it.
        let plan = try await engine.prune(set: "data", dryRun: true)
        #expect(plan.kept.isEmpty && plan.removed.isEmpty)

        let verified = try await engine.verify(original.id)
        #expect(verified.isValid && verified.catalog == "ok", "\(verified.problems)")
        let promoted = try #require(await fresh.record(original.id))
        #expect(promoted.status == .complete && promoted.verified == true)
        #expect(promoted.manifestSha256 == original.manifestSha256 && promoted.sha256 == original.sha256)
    }
}
