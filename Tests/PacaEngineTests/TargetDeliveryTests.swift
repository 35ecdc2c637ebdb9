import Foundation
import PacaArchive
import PacaCatalog
import PacaConfig
import PacaCore
import PacaS3
import PacaSystem
import PacaTestSupport
import Synchronization
import Testing

@testable import PacaEngine
@testable import PacaTargets

@Suite struct DirectoryTargetsTests {
    func config(_ ws: TemporaryFolder) -> DaemonConfig { ws.config(directoryTargets: ["a", "b"]) }

    /// An engine on `config` (targets a and b unless given) with its catalog in `ws/state`, not prepared.
    func newEngine(_ ws: TemporaryFolder, _ config: DaemonConfig? = nil, retryDelay: Double = 60) async throws -> (BackupEngine, Catalog) {
        let (catalog, _) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: .system)
        let engine = BackupEngine(
            config: config ?? self.config(ws), catalog: catalog, logger: quietLogger,
            factory: TargetFactory(environment: [:], hostName: "h"),
            timing: .init(retryDelay: retryDelay))
        return (engine, catalog)
    }

    /// A backup made while b's disk was away (its delivery there failed); the disk is back after it.
    func backupThatMissedB(_ engine: BackupEngine, _ ws: TemporaryFolder) async throws -> BackupRecord {
        try FileManager.default.moveItem(atPath: ws.sub("b"), toPath: ws.sub("b-disk"))
        let record = try await engine.outcome(of: try await engine.requestBackup(set: nil, trigger: .manual, reason: nil))
        #expect(record.deliveries.map(\.status) == [.ok, .failed])
        try FileManager.default.moveItem(atPath: ws.sub("b-disk"), toPath: ws.sub("b"))
        return record
    }

    @Test func oneArchiveReachesEveryTargetAndAMissedOneIsCopiedLater() async throws {
        let ws = TemporaryFolder()
        ws.write("source/weights.bin", noise(200_000))
        let (engine, catalog) = try await newEngine(ws, retryDelay: 0)
        _ = await engine.prepare()
        try await withRunning(engine) {
            let first = try await engine.outcome(of: try await engine.requestBackup(set: nil, trigger: .manual, reason: nil))
            #expect(first.status == .complete)
            #expect(first.deliveries.map(\.status) == [.ok, .ok])
            #expect(first.deliveries.map(\.location) == [ws.sub("a/data/\(first.id).zip"), ws.sub("b/data/\(first.id).zip")])
            for root in ["a", "b"] {
                #expect(FileManager.default.contents(atPath: ws.sub("\(root)/data/\(first.id).zip"))?.count == Int(first.bytesStored))
                #expect(FileManager.default.fileExists(atPath: ws.sub("\(root)/data/\(first.id).zip.sha256")))
            }

            // Target b vanishes (an unmounted disk): the backup still completes on a, b's delivery waits.
            try FileManager.default.moveItem(atPath: ws.sub("b"), toPath: ws.sub("b-disk"))
            let second = try await engine.outcome(of: try await engine.requestBackup(set: nil, trigger: .manual, reason: nil))
            #expect(second.status == .complete)
            #expect(second.deliveries.map(\.status) == [.ok, .failed])
            #expect(second.deliveries[1].error?.contains("\(ws.sub("b")) is gone") == true, "\(second.deliveries[1])")
            #expect(!FileManager.default.fileExists(atPath: ws.sub("b")))  // never recreated behind the mount's back
            await engine.checkTargets()
            let states = await engine.targetStatus()
            #expect(states.map(\.name) == ["a", "b"])
            #expect(states[0].problem == nil && states[0].freeBytes != nil && states[0].lastDeliveryAt != nil)
            #expect(states[1].problem?.contains(ws.sub("b")) == true)
            #expect(states[1].failedDeliveries == 1)

            // An empty folder where the disk should be is not the target: nothing is written there.
            try FileManager.default.createDirectory(atPath: ws.sub("b"), withIntermediateDirectories: true)
            await engine.maintain()
            #expect(try FileManager.default.contentsOfDirectory(atPath: ws.sub("b")).isEmpty)
            #expect(try #require(await catalog.record(second.id)).deliveries[1].error?.contains("is its disk mounted?") == true)
            try FileManager.default.removeItem(atPath: ws.sub("b"))

            // The disk is back: the next maintenance copies the archive over, checked against its SHA-256.
            try FileManager.default.moveItem(atPath: ws.sub("b-disk"), toPath: ws.sub("b"))
            await engine.maintain()
            let repaired = try #require(await catalog.record(second.id))
            #expect(repaired.deliveries.map(\.status) == [.ok, .ok])
            #expect(repaired.deliveries[1].attempts == 3)
            #expect(
                FileManager.default.contents(atPath: ws.sub("b/data/\(second.id).zip"))
                    == FileManager.default.contents(atPath: ws.sub("a/data/\(second.id).zip")))

            // Deleting removes every copy.
            _ = try await engine.delete(second.id)
            for root in ["a", "b"] { #expect(!FileManager.default.fileExists(atPath: ws.sub("\(root)/data/\(second.id).zip"))) }
        }
    }

    /// keep_last 1 on a target whose newest delivery failed: the failed delivery is no copy,
    /// so the older copy that is there stays (counting the failure would have left none).
    /// Callers that need a root at once (backups beside the start-up claim) all get the one
    /// marker: two claims at a time wrote one each, and the later refused the earlier's id.
    @Test func claimsAtOnceLeaveOneMarkerThatEveryBackupAccepts() async throws {
        for _ in 0..<5 {
            let ws = TemporaryFolder()
            ws.write("source/a.txt", Array("hello".utf8))
            let (engine, _) = try await newEngine(ws)
            await withTaskGroup { group in
                for _ in 0..<4 { group.addTask { _ = await engine.target("a") } }
            }
            let marker = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: ws.sub("a/.paca-target"))))
            let known = await engine.identities.id(of: "a")
            #expect((marker as? [String: Any])?["id"] as? String == known)
            _ = await engine.prepare()
            try await withRunning(engine) {
                let record = try await engine.outcome(of: try await engine.requestBackup(set: nil, trigger: .manual, reason: nil))
                #expect(record.deliveries.map(\.status) == [.ok, .ok], "\(record.deliveries)")
            }
        }
    }

    /// A scrub's repair and a delivery retry may ask for the same copy together: it is made
    /// once (one attempt in the record), and what lands is the whole archive. Two at once wrote
    /// the same partial file, and one could rename the other's half-written file into place.
    @Test func oneBackupIsCopiedToATargetOnceWhenAskedManyTimesAtOnce() async throws {
        let ws = TemporaryFolder()
        ws.write("source/weights.bin", noise(2_000_000))
        let (engine, catalog) = try await newEngine(ws, retryDelay: 0)
        _ = await engine.prepare()
        try await withRunning(engine) {
            let missed = try await backupThatMissedB(engine, ws)
            await withTaskGroup { group in
                for _ in 0..<4 { group.addTask { await engine.copy(missed.id, to: "b") } }
            }
            let copied = try #require(await catalog.record(missed.id))
            #expect(copied.deliveries.map(\.status) == [.ok, .ok], "\(copied.deliveries)")
            #expect(copied.deliveries[1].attempts == 2, "\(copied.deliveries)")
            #expect(
                FileManager.default.contents(atPath: ws.sub("b/data/\(missed.id).zip"))
                    == FileManager.default.contents(atPath: ws.sub("a/data/\(missed.id).zip")))
            #expect(try FileManager.default.contentsOfDirectory(atPath: ws.sub("b/data")).filter { $0.hasSuffix(".partial") }.isEmpty)
            #expect(await engine.copies.isEmpty)
        }
    }

    /// A delete or prune marks the backup while it removes copies: no retry or repair copies
    /// it meanwhile (the copy would outlive the delete, on a target the delete had passed), and
    /// it reads as busy to a second removal or a scrub; no restore, restore session or verify
    /// starts on it (its archives may be going from under the reader).
    @Test func aBackupBeingRemovedIsNotCopied() async throws {
        let ws = TemporaryFolder()
        ws.write("source/weights.bin", noise(100_000))
        let (engine, catalog) = try await newEngine(ws, retryDelay: 0)
        _ = await engine.prepare()
        try await withRunning(engine) {
            let missed = try await backupThatMissedB(engine, ws)
            await engine.holdAsRemoving(missed.id)
            await engine.copy(missed.id, to: "b")
            #expect(!FileManager.default.fileExists(atPath: ws.sub("b/data/\(missed.id).zip")))
            let held = try #require(await catalog.record(missed.id))
            #expect(held.deliveries[1].status == .failed && held.deliveries[1].attempts == 1, "\(held.deliveries)")
            #expect(await engine.busyReason(missed.id) == "it is being deleted")
            await #expect(throws: EngineError.self) { try await engine.delete(missed.id) }
            do throws(EngineError) {
                _ = try await engine.openRestore(missed.id, owner: 0, access: nil)
                Issue.record("a restore session opened on a backup being deleted")
            } catch {
                #expect(error.message == "backup \(missed.id) cannot be read now: it is being deleted")
            }
            await #expect(throws: EngineError.self) { _ = try await engine.verify(missed.id) }
            await #expect(throws: EngineError.self) {
                _ = try await engine.restore(missed.id, to: ws.sub("r"), includes: [], overwrite: false)
            }
            #expect(await engine.readers.isEmpty)

            await engine.releaseRemoving(missed.id)
            _ = try await engine.delete(missed.id)
            #expect(await engine.removing.isEmpty)
            await engine.copy(missed.id, to: "b")
            #expect(!FileManager.default.fileExists(atPath: ws.sub("b/data/\(missed.id).zip")))
            #expect(!FileManager.default.fileExists(atPath: ws.sub("a/data/\(missed.id).zip")))
        }
    }

    /// A real delete holds the mark for as long as it runs: paused between its awaits (its
    /// catalog says a copy is also on a bucket that does not answer, whose retries wait on a
    /// clock the test holds), the backup reads as being deleted and a second delete is refused.
    /// Once the bucket's retries run out the mark is gone and the delete reports what it could
    /// not remove. The test above shows what the mark stops.
    @Test func aDeleteMarksTheBackupUntilItEnds() async throws {
        let ws = TemporaryFolder()
        ws.write("source/weights.bin", noise(50_000))
        var config = config(ws)
        config.targets.append(
            DaemonConfig.Target(name: "s", kind: .s3(.init(endpoint: "http://127.0.0.1:1", bucket: "gone", prefix: "p"))))
        let manual = ManualClock()
        let (catalog, _) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: .system)
        let keys = ["AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"]
        let engine = BackupEngine(
            config: config, catalog: catalog, logger: quietLogger,
            factory: TargetFactory(environment: keys, hostName: "h", clock: manual.serviceClock))
        _ = await engine.prepareLocal()  // not prepareRemote: its claim of s would wait on the held clock
        try await withRunning(engine) {
            let missed = try await backupThatMissedB(engine, ws)
            try await catalog.update(missed.id) { record in
                record.deliveries.insert(Delivery(target: "s", status: .ok, location: "s"), at: 0)
            }
            let deleting = Task { try await engine.delete(missed.id) }
            await manual.waitForSleepers(1)  // the delete waits to retry s
            let reason = await engine.busyReason(missed.id)
            #expect(reason == "it is being deleted")
            // Unmarked, a second delete would go on to wait on the held clock too.
            if reason != nil { await #expect(throws: EngineError.self) { try await engine.delete(missed.id) } }
            #expect(FileManager.default.fileExists(atPath: ws.sub("a/data/\(missed.id).zip")), "a comes after s")

            // The delete ends by keeping only the copy it could not remove in the record.
            let ended = await eventually("the delete to give up on s") {
                if manual.sleeperCount > 0 { manual.advance(by: .seconds(3600)) }
                return await catalog.record(missed.id)?.deliveries.map(\.target) == ["s"]
            }
            #expect(ended)
            let outcome = await deleting.result
            #expect(throws: EngineError.self) { try outcome.get() }
            #expect(await engine.busyReason(missed.id) == nil)
            #expect(await engine.removing.isEmpty)
            #expect(!FileManager.default.fileExists(atPath: ws.sub("a/data/\(missed.id).zip")))
        }
    }

    @Test func aFailedDeliveryDoesNotCountAsACopy() async throws {
        let ws = TemporaryFolder()
        ws.write("source/x", noise(10_000))
        var config = config(ws)
        config.sets[0].retention = RetentionPolicy(keepLast: 1)
        config.sets[0].incremental.isEnabled = false
        let (engine, _) = try await newEngine(ws, config, retryDelay: 3600)
        _ = await engine.prepare()
        try await withRunning(engine) {
            let first = try await engine.outcome(of: try await engine.requestBackup(set: nil, trigger: .manual, reason: nil))
            try FileManager.default.moveItem(atPath: ws.sub("b"), toPath: ws.sub("b-disk"))
            ws.write("source/x", noise(10_001))
            let second = try await engine.outcome(of: try await engine.requestBackup(set: nil, trigger: .manual, reason: nil))
            #expect(second.deliveries.map(\.status) == [.ok, .failed])
            try FileManager.default.moveItem(atPath: ws.sub("b-disk"), toPath: ws.sub("b"))
            let report = try await engine.prune(dryRun: false)
            #expect(FileManager.default.fileExists(atPath: ws.sub("b/data/\(first.id).zip")), "the only copy on b was pruned")
            // On a, where both copies are, the older goes (here or in the prune after the backup).
            let gone = await eventually("the older copy on a to go") {
                !FileManager.default.fileExists(atPath: ws.sub("a/data/\(first.id).zip"))
            }
            #expect(gone, "\(report)")
        }
    }

    /// Downloads a killed daemon left in the scratch folder are removed at start.
    @Test func theScratchFolderIsEmptiedAtStart() async throws {
        let ws = TemporaryFolder()
        ws.write("source/x", noise(100))
        ws.write("state/scratch/5f3a/20261127T020000Z-data-aaaa.zip", noise(1000))
        let (engine, _) = try await newEngine(ws)
        let notes = await engine.prepare()
        #expect(notes.contains { $0.contains("leftover download") }, "\(notes)")
        #expect((try? FileManager.default.contentsOfDirectory(atPath: ws.sub("state/scratch")))?.isEmpty == true)
    }

    @Test func aDamagedSourceIsNotCopied() async throws {
        let ws = TemporaryFolder()
        ws.write("source/x", noise(10_000))
        try FileManager.default.createDirectory(atPath: ws.sub("b"), withIntermediateDirectories: true)
        let (engine, catalog) = try await newEngine(ws, retryDelay: 0)
        _ = await engine.prepare()
        try await withRunning(engine) {
            let record = try await backupThatMissedB(engine, ws)
            let archive = ws.sub("a/data/\(record.id).zip")
            var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: archive)))
            bytes[bytes.count / 2] ^= 0xFF
            try Data(bytes).write(to: URL(fileURLWithPath: archive))
            await engine.maintain()
            let after = try #require(await catalog.record(record.id))
            #expect(after.deliveries[1].status == .failed)
            #expect(after.deliveries[1].error?.contains("does not match the catalog's SHA-256") == true, "\(after.deliveries[1])")
            #expect(!FileManager.default.fileExists(atPath: ws.sub("b/data/\(record.id).zip")))
            #expect((try? FileManager.default.contentsOfDirectory(atPath: ws.sub("b/data")))?.isEmpty ?? true)
        }
    }
}

@Suite(.enabled(if: S3TestServer.isEnabled, "needs the SeaweedFS server that `make test` starts"))
struct S3TargetTests {
    @Test func backupListRestoreVerifyDeleteWithMultipart() async throws {
        let ws = TemporaryFolder()
        let big = randomBytes(12 << 20)  // incompressible: stored, so the archive spans three 5 MiB parts
        ws.write("source/checkpoint.pt", big)
        ws.write("source/config.yaml", Array("lr: 0.1\n".utf8))
        let (bucket, s3) = try await S3TestServer.bucket()
        var config = ws.config()
        config.targets = [S3TestServer.target("remote", bucket: bucket)]
        config.sets[0].targets = ["remote"]
        let (catalog, _) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: .system)
        let engine = BackupEngine(
            config: config, catalog: catalog, logger: quietLogger,
            factory: TargetFactory(environment: S3TestServer.keys, hostName: "gpu-01"))
        _ = await engine.prepare()
        try await withRunning(engine) {
            let record = try await engine.outcome(of: try await engine.requestBackup(set: nil, trigger: .manual, reason: nil))
            #expect(record.status == .complete, "\(record.error ?? "") \(record.deliveries)")
            #expect(record.bytesStored > 10 << 20)
            let key = "gpu-01/pacad/data/\(record.id).zip"
            #expect(record.path == "s3://\(bucket)/\(key)")
            // The prefix's marker (.paca-target), the archive and its sidecar.
            #expect(try await s3.list(prefix: "gpu-01/").map(\.key) == ["gpu-01/pacad/.paca-target", key, key + ".sha256"])
            #expect(try await s3.size(of: key) == record.bytesStored)
            #expect(try await s3.pendingUploads(prefix: "gpu-01/").isEmpty)
            let sidecar = String(decoding: try await s3.get(key + ".sha256"), as: UTF8.self)
            #expect(sidecar == "\(record.sha256!)  \(record.id).zip\n")
            // No local copy was kept anywhere.
            #expect(!FileManager.default.fileExists(atPath: ws.sub("backups/data/\(record.id).zip")))

            let restored = try await engine.restore(record.id, to: ws.sub("restored"), includes: [], overwrite: false)
            #expect(restored.files == 2)
            #expect(FileManager.default.contents(atPath: ws.sub("restored/source/checkpoint.pt")) == Data(big))
            let verified = try await engine.verify(record.id)
            #expect(verified.isValid && verified.sidecar == "ok", "\(verified.problems)")
            #expect((try? FileManager.default.contentsOfDirectory(atPath: ws.sub("state/scratch")))?.isEmpty ?? true)

            _ = try await engine.delete(record.id)
            #expect(try await s3.list(prefix: "gpu-01/").map(\.key) == ["gpu-01/pacad/.paca-target"])
            #expect(await catalog.record(record.id) == nil)
        }
    }

    @Test func emergencyGoesToEveryTargetAndABrokenOneFailsAlone() async throws {
        let ws = TemporaryFolder()
        ws.write("source/a.txt", noise(50_000))
        let (bucket, _) = try await S3TestServer.bucket()
        var config = ws.config()
        config.targets.append(S3TestServer.target("remote", bucket: bucket))
        let secret = "wrong-secret-\(UUID().uuidString)"
        let keys = ["AWS_ACCESS_KEY_ID": S3TestServer.keys["AWS_ACCESS_KEY_ID"]!, "AWS_SECRET_ACCESS_KEY": secret]
        let (catalog, _) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: .system)
        let engine = BackupEngine(
            config: config, catalog: catalog, logger: quietLogger, factory: TargetFactory(environment: keys, hostName: "h"))
        _ = await engine.prepare()
        try await withRunning(engine) {
            // The set names only "local"; an emergency backup goes everywhere.
            let record = try await engine.outcome(
                of: try await engine.requestBackup(set: "data", trigger: .emergency, reason: "disk failing"))
            #expect(record.status == .complete)
            #expect(record.deliveries.map(\.target) == ["local", "remote"])
            #expect(record.deliveries.map(\.status) == [.ok, .failed])
            let error = try #require(record.deliveries[1].error)
            #expect(error.contains("credentials") && error.contains("403"), "\(error)")
            #expect(!error.contains(secret))
            let states = await engine.targetStatus()
            #expect(states[1].problem?.contains("credentials") == true, "\(states)")
            #expect(states[1].problem?.contains(secret) == false)
        }
    }

    @Test func anUploadCutShortIsAbortedAtTheNextStart() async throws {
        let ws = TemporaryFolder()
        let (bucket, s3) = try await S3TestServer.bucket()
        var config = ws.config()
        config.targets = [S3TestServer.target("remote", bucket: bucket)]
        config.sets[0].targets = ["remote"]
        let factory = TargetFactory(environment: S3TestServer.keys, hostName: "h")
        try FileManager.default.createDirectory(atPath: ws.sub("state"), withIntermediateDirectories: true)
        let target = try factory.make(config.targets[0], uploads: UploadJournal(stateDirectory: ws.sub("state"))).get()
        // Another machine sharing the prefix is uploading: never this machine's to abort.
        let theirs = try await s3.startMultipart("h/pacad/data/20261127T020000Z-data-9999.zip")
        // What a killed daemon leaves: a multipart upload with a part and no completion.
        let upload = try await target.beginUpload("data/20261127T020000Z-data-0001.zip")
        let part = randomBytes(6 << 20)
        let written = await SystemThread.run { () -> String? in
            do { try part.withUnsafeBytes { try upload.write($0) } } catch { return "\(error)" }
            return nil
        }
        #expect(written == nil)
        // The first part goes up in the background: wait until the server lists the upload.
        var pending: [S3PendingUpload] = []
        await eventually("the unfinished upload to be listed") {
            pending = ((try? await s3.pendingUploads(prefix: "h/")) ?? []).filter { $0.uploadID != theirs }
            return pending.count == 1
        }
        // A sweep never aborts an upload this process is making (backups go on during it)...
        #expect(try await target.sweep().isEmpty)
        #expect(try await s3.pendingUploads(prefix: "h/").count == 2)
        // ...but one left by another process (here: this one forgetting it, as a kill would) goes.
        for upload in pending { _ = S3Target.ownUploads.withLock { $0.remove(upload.uploadID) } }

        let (catalog, _) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: .system)
        let engine = BackupEngine(config: config, catalog: catalog, logger: quietLogger, factory: factory)
        try await withRunning(engine) {
            let notes = await engine.prepare()
            #expect(notes.count == 1 && notes[0].contains("unfinished upload"), "\(notes)")
            let pendingAfter = try await s3.pendingUploads(prefix: "h/")
            let listed = try await s3.list(prefix: "h/")
            #expect(pendingAfter.map(\.uploadID) == [theirs], "\(pendingAfter)")  // the other machine's goes on
            #expect(listed.allSatisfy { $0.key.hasSuffix("/.paca-target") }, "\(listed)")
        }
    }
}

/// A target on a file system that fills up: a 1 MiB tmpfs (mounting needs root, which `make test`
/// and CI run as; elsewhere the test is skipped, saying why).
@Suite(.enabled(if: getuid() == 0, "mounting a small tmpfs needs root"))
struct FullTargetTests {
    func mount(_ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/mount")
        process.arguments = arguments
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }

    @Test func aFullDiskFailsItsDeliveryAloneAndLeavesNothingBehind() async throws {
        let ws = TemporaryFolder()
        try FileManager.default.createDirectory(atPath: ws.sub("small"), withIntermediateDirectories: true)
        try #require(mount(["-t", "tmpfs", "-o", "size=1m", "tmpfs", ws.sub("small")]) == 0, "cannot mount a tmpfs")
        defer {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/umount")
            process.arguments = [ws.sub("small")]
            try? process.run()
            process.waitUntilExit()
        }
        ws.write("source/checkpoint.pt", randomBytes(3 << 20))
        var config = ws.config()
        config.targets = [
            DaemonConfig.Target(name: "small", kind: .directory(path: ws.sub("small"))),
            DaemonConfig.Target(name: "big", kind: .directory(path: ws.sub("big"))),
        ]
        config.sets[0].targets = ["small", "big"]
        let (catalog, _) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: .system)
        let engine = BackupEngine(
            config: config, catalog: catalog, logger: quietLogger, factory: TargetFactory(environment: [:], hostName: "h"))
        _ = await engine.prepare()
        try await withRunning(engine) {
            let record = try await engine.outcome(of: try await engine.requestBackup(set: nil, trigger: .manual, reason: nil))
            #expect(record.status == .complete)
            #expect(record.deliveries.map(\.status) == [.failed, .ok])
            #expect(record.deliveries[0].error?.contains("No space left on device") == true, "\(record.deliveries[0])")
            let left = FileManager.default.enumerator(atPath: ws.sub("small"))?.allObjects as? [String] ?? []
            #expect(left.allSatisfy { !$0.hasSuffix(".zip") && !$0.hasSuffix(".partial") }, "\(left)")
            let states = await engine.targetStatus()
            #expect(states[0].freeBytes.map { $0 <= 1 << 20 } == true)
            _ = try await engine.restore(record.id, to: ws.sub("r"), includes: [], overwrite: false)
        }
    }
}

extension BackupEngine {
    /// Marks `id` as a delete or prune under way would, for tests of what waits for one.
    func holdAsRemoving(_ id: String) { removing.insert(id) }
    func releaseRemoving(_ id: String) { removing.remove(id) }
}
