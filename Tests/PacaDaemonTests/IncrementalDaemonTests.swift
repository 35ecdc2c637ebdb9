import Foundation
import PacaProtocol
import PacaTestSupport
import Testing

/// Incremental backups as an operator meets them: a real pacad, real pacactl, real unzip.
@Suite struct IncrementalDaemonTests {
    static func writeTree(_ daemon: DaemonFolder) {
        daemon.write("configs/train.yaml", Array("lr: 0.001\n".utf8))
        daemon.write("data/part-0.jsonl", (0..<5000).flatMap { Array("{\"n\": \($0)}\n".utf8) })
        daemon.write("ckpt/model.pt", noise(300_000))
    }

    /// A second backup writes the changed file only; status, list and show say so; pacactl
    /// restores it whole; the archive alone extracts what it holds and names what it needs, and
    /// with the target's folder given, extracts whole; stock unzip tests it clean.
    @Test func aChainThroughPacactlAndStockTools() async throws {
        let daemon = try DaemonHarness()
        Self.writeTree(daemon)
        try await daemon.start()
        let first = try await daemon.pacactl(["backup", "now", "--json"])
        #expect(first.status == 0, "\(first.stderr)")
        let b1 = try #require(first.json["id"] as? String)
        daemon.write("configs/train.yaml", Array("lr: 0.002\n".utf8))
        let second = try await daemon.pacactl(["backup", "now"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("incremental: 1 new or changed file, 10 B written"), "\(second.stdout)")
        let b2 = try #require(try await daemon.call(Methods.backupList).backups.map(\.id).first { $0 != b1 })

        let shown = try await daemon.pacactl(["backup", "show", b2])
        #expect(shown.stdout.contains("type:          incremental"), "\(shown.stdout)")
        #expect(shown.stdout.contains("references:") && shown.stdout.contains(b1), "\(shown.stdout)")
        let listed = try await daemon.pacactl(["backup", "list"])
        #expect(listed.stdout.contains("KIND") && listed.stdout.contains("incremental"), "\(listed.stdout)")
        // Status shows the set's last backup and its kind, also when both started in one second
        // (ids of one set's backups sort in the order they started).
        let last = try #require(try await daemon.call(Methods.daemonStatus).sets.first?.lastBackup)
        #expect(last.id == b2 && last.type == .incremental, "\(last.id) \(b1) \(b2)")
        let status = try await daemon.pacactl(["status"])
        #expect(status.stdout.contains("KIND") && status.stdout.contains("incremental"), "\(status.stdout)")

        let restored = try await daemon.pacactl(["restore", b2, "--to", daemon.root + "/restored"])
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(treeSnapshot(daemon.root + "/restored/source") == treeSnapshot(daemon.source))

        let archive = daemon.target + "/data/\(b2).zip"
        let ls = try run([Binaries.pacactl, "archive", "ls", archive])
        #expect(ls.stdout.contains("source/ckpt/model.pt  (in \(b1))"), "\(ls.stdout)")
        let alone = try run([Binaries.pacactl, "archive", "extract", archive, "--to", daemon.root + "/alone"])
        #expect(alone.status == 1)
        #expect(alone.stderr.contains(b1) && alone.stderr.contains("--archives"), "\(alone.stderr)")
        #expect(FileManager.default.fileExists(atPath: daemon.root + "/alone/source/configs/train.yaml"))
        let whole = try run([
            Binaries.pacactl, "archive", "extract", archive, "--to", daemon.root + "/whole", "--archives", daemon.target + "/data",
        ])
        #expect(whole.status == 0, "\(whole.stderr)")
        #expect(treeSnapshot(daemon.root + "/whole/source") == treeSnapshot(daemon.source))

        let unzip = try run(["/usr/bin/unzip", "-t", archive])
        #expect(unzip.status == 0 && unzip.stdout.contains("No errors detected"), "\(unzip.stdout)")
        await daemon.stop()
    }

    /// Retention with keep_last: 1 after an incremental backup: the old backup is kept for its
    /// archive and retired, and pacactl says so everywhere an operator looks.
    @Test func aRetiredBackupIsShownAsSuch() async throws {
        let daemon = try DaemonHarness()
        Self.writeTree(daemon)
        try daemon.writeConfig(
            sets: "  data:\n    paths: [\(daemon.source)]\n    targets: [local]\n    retention: {keep_last: 1}")
        try await daemon.start()
        let first = try await daemon.pacactl(["backup", "now", "--json"])
        let b1 = try #require(first.json["id"] as? String)
        daemon.write("configs/train.yaml", Array("lr: 0.002\n".utf8))
        #expect(try await daemon.pacactl(["backup", "now"]).status == 0)
        await eventually("the prune after the backup to retire \(b1)") {
            (try? await daemon.call(Methods.backupShow, BackupIDParams(id: b1)))?.retired == true
        }
        let listed = try await daemon.pacactl(["backup", "list"])
        #expect(listed.stdout.contains("full (retired)"), "\(listed.stdout)")
        let shown = try await daemon.pacactl(["backup", "show", b1])
        #expect(shown.stdout.contains("retired:"), "\(shown.stdout)")
        let dry = try await daemon.pacactl(["prune", "--dry-run"])
        #expect(dry.stdout.contains("referenced by") && dry.stdout.contains("kept only because kept backups need"), "\(dry.stdout)")
        let refused = try await daemon.pacactl(["restore", b1, "--to", daemon.root + "/r"])
        #expect(refused.status != 0 && refused.stderr.contains("retired"), "\(refused.stderr)")
        await daemon.stop()
    }

    /// pacad killed in the middle of a backup that carries files forward from an archive it
    /// retires (max_sources: 1): the backup is interrupted, nothing half-written is left, the
    /// retired archive is still there, and the next backup carries forward again and restores whole.
    @Test func aKillDuringACarryForwardLosesNothing() async throws {
        let daemon = try DaemonHarness(compression: "{level: 9, threads: 1}")
        try daemon.writeConfig(
            compression: "{level: 9, threads: 1}",
            sets: "  data:\n    paths: [\(daemon.source)]\n    targets: [local]\n    incremental: {max_sources: 1}")
        daemon.write("a1.txt", Array("kept from the first backup\n".utf8))
        daemon.write("c.txt", Array("first\n".utf8))
        try await daemon.start()
        let b1 = try #require(try await daemon.pacactl(["backup", "now", "--json"]).json["id"] as? String)
        daemon.write("c.txt", noise(100_000))
        let b2 = try #require(try await daemon.pacactl(["backup", "now", "--json"]).json["id"] as? String)
        // The next backup needs b1 (a1.txt) and b2 (c.txt): b1, the less used, is retired and
        // a1.txt, first in the walk, is carried; the slow source after it keeps the backup going.
        daemon.writeSlowSource(blocks: 4096)
        _ = try await daemon.pacactl(["backup", "now", "--no-wait"])
        var killed: String?
        await eventually("the carrying backup writing bytes") {
            let activity = (try? await daemon.call(Methods.daemonStatus))?.activities.first
            killed = activity?.progress.bytes ?? 0 > 0 ? activity?.progress.backup : nil
            return killed != nil
        }
        await daemon.stop(SIGKILL)
        try FileManager.default.removeItem(atPath: daemon.source + "/sparse")
        try FileManager.default.removeItem(atPath: daemon.source + "/block-0")
        try await daemon.start()
        #expect(daemon.partialFiles.isEmpty)
        let interrupted = try await daemon.pacactl(["backup", "show", try #require(killed), "--json"]).json
        #expect(interrupted["status"] as? String == "interrupted")
        #expect(FileManager.default.fileExists(atPath: daemon.target + "/data/\(b1).zip"))
        let next = try await daemon.pacactl(["backup", "now", "--json"])
        #expect(next.status == 0, "\(next.stderr)")
        #expect(next.json["references"] as? [String] == [b2], "b1 is retired: its file is carried, not referenced")
        let id = try #require(next.json["id"] as? String)
        let restored = try await daemon.pacactl(["restore", id, "--to", daemon.root + "/restored"])
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(treeSnapshot(daemon.root + "/restored/source") == treeSnapshot(daemon.source))
        await daemon.stop()
    }

    /// pacad killed in the middle of an incremental backup: after a restart the backup is
    /// interrupted, the change index still describes the last complete backup, and the next
    /// backup is incremental to it and restores whole.
    @Test func aKillDuringAnIncrementalBackupLeavesTheChainWhole() async throws {
        let daemon = try DaemonHarness(compression: "{level: 9, threads: 1}")
        Self.writeTree(daemon)
        try await daemon.start()
        let first = try await daemon.pacactl(["backup", "now", "--json"])
        let b1 = try #require(first.json["id"] as? String)
        daemon.writeSlowSource(blocks: 4096)
        _ = try await daemon.pacactl(["backup", "now", "--no-wait"])
        var killed: String?
        await eventually("the incremental backup writing bytes") {
            let activity = (try? await daemon.call(Methods.daemonStatus))?.activities.first
            killed = activity?.progress.bytes ?? 0 > 0 ? activity?.progress.backup : nil
            return killed != nil
        }
        await daemon.stop(SIGKILL)
        try FileManager.default.removeItem(atPath: daemon.source + "/sparse")
        try await daemon.start()
        let interrupted = try await daemon.pacactl(["backup", "show", try #require(killed), "--json"]).json
        #expect(interrupted["status"] as? String == "interrupted")
        let next = try await daemon.pacactl(["backup", "now", "--json"])
        #expect(next.status == 0, "\(next.stderr)")
        #expect(next.json["type"] as? String == "incremental")
        #expect(next.json["base"] as? String == b1)
        let id = try #require(next.json["id"] as? String)
        let restored = try await daemon.pacactl(["restore", id, "--to", daemon.root + "/restored"])
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(treeSnapshot(daemon.root + "/restored/source") == treeSnapshot(daemon.source))
        await daemon.stop()
    }
}
