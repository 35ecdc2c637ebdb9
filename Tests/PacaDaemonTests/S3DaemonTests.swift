import Foundation
import PacaArchive
import PacaFiles
import PacaProtocol
import PacaS3
import PacaSystem
import PacaTestSupport
import Testing

@Suite(.serialized, .enabled(if: S3TestServer.isEnabled, "needs the SeaweedFS server that `make test` starts"))
struct S3DaemonTests {
    static var keys: [String: String] { S3TestServer.keys }

    /// A daemon whose set `data` goes to an S3 bucket of its own, in 5 MiB parts.
    func daemon(_ label: String = #function) async throws -> (DaemonHarness, S3Client, String) {
        let (bucket, s3) = try await S3TestServer.bucket()
        let endpoint = try #require(S3TestServer.endpoint)
        let daemon = try DaemonHarness(label, compression: "{level: 9, threads: 1}")
        let text = """
            state_dir: \(daemon.root)/state
            socket: \(daemon.socket)
            compression: {level: 9, threads: 1}
            targets:
              local: {type: directory, path: \(daemon.target)}
              remote: {type: s3, endpoint: "\(endpoint)", bucket: \(bucket), prefix: "fleet/{host}", part_size: 5MiB}
            sets:
              data:
                paths: [\(daemon.source)]
                targets: [remote]
            """
        try text.write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
        return (daemon, s3, bucket)
    }

    /// The file index, lost, is read back from archives that are only on a bucket: ranged reads
    /// of their central directory and manifest through a root restore session.
    @Test func aLostFileIndexIsReadBackFromTheBucket() async throws {
        let (daemon, _, _) = try await daemon()
        daemon.write("config.yaml", Array("lr: 0.1\n".utf8))
        try await daemon.start(environment: Self.keys)
        var ids: [String] = []
        for text in ["lr: 0.1\n", "lr: 0.01\n"] {
            daemon.write("config.yaml", Array(text.utf8))
            let made = try await daemon.pacactl(["backup", "now", "--json"])
            ids.append(try #require(made.json["id"] as? String, Comment(rawValue: made.stdout + made.stderr)))
        }
        await daemon.stop()
        try FileManager.default.removeItem(atPath: daemon.target)
        for name in try FileManager.default.contentsOfDirectory(atPath: daemon.root + "/state") where name.hasPrefix("files.sqlite") {
            try FileManager.default.removeItem(atPath: daemon.root + "/state/" + name)
        }
        try await daemon.start(environment: Self.keys)
        let index = try await FileIndex.open(stateDirectory: daemon.root + "/state", logger: quietLogger)
        await eventually("the index holds both backups again") {
            (try? await index.backups(set: "data").map(\.backupID)) == ids
        }
        let history = try await index.history(set: "data", path: "source/config.yaml")
        #expect(history?.versions.count == 2, "\(String(describing: history))\n\(daemon.log().suffix(3000))")
        #expect(daemon.log().contains("reading the manifests of earlier backups"))
        await daemon.stop()
    }

    @Test func killDuringAnUploadLeavesNoUnfinishedUploadAfterRestart() async throws {
        let (daemon, s3, _) = try await daemon()
        // Minutes of work at level 9 on one thread; the kill comes long before the end. The wait
        // polls the daemon over its socket (blocking), not S3 through async calls, so a test
        // task starved of the cooperative pool by other suites cannot miss the window.
        daemon.writeSlowSource(blocks: 4096)
        // 12 MiB that do not compress, walked before the slow part: archive bytes for the upload's parts.
        daemon.write("noise-big", randomBytes(12 << 20))
        try await daemon.start(environment: Self.keys)
        let started = try await daemon.pacactl(["backup", "now", "--no-wait", "--json"])
        #expect(started.status == 0)
        var id: String?
        await eventually("24 MiB read") {
            // Past 24 MiB read (about 12 MiB of archive), 5 MiB parts have gone to the upload.
            let activity = (try? await daemon.call(Methods.daemonStatus))?.activities.first
            id = activity?.progress.bytes ?? 0 > 24 << 20 ? activity?.progress.backup : nil
            return id != nil
        }
        let backup = try #require(id, "the backup never got going; log:\n\(daemon.log())")
        await daemon.stop(SIGKILL)
        let pending = try await s3.pendingUploads(prefix: "fleet/")
        #expect(pending.map(\.key).map { $0.hasSuffix("/data/\(backup).zip") } == [true], "\(pending)")

        try await daemon.start(environment: Self.keys)
        // The sweep runs just after READY.
        await eventually("the start-up sweep") { daemon.log().contains("unfinished upload") }
        #expect(try await s3.pendingUploads(prefix: "fleet/").isEmpty)
        #expect(try await s3.list(prefix: "fleet/").allSatisfy { $0.key.hasSuffix("/.paca-target") })
        let shown = try await daemon.pacactl(["backup", "show", backup, "--json"]).json
        #expect(shown["status"] as? String == "interrupted")
        #expect(daemon.log().contains("unfinished upload"))
        await daemon.stop()
    }

    /// A sealed set on a bucket: the age file streams up in parts, its sidecar covers the
    /// encrypted bytes, stock `age` opens it, and pacactl restores the incremental chain with
    /// ranged reads through pacad.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/age"), "needs /usr/bin/age"))
    func sealedSetsStreamToTheBucketAndRestoreWithAnIdentity() async throws {
        let (daemon, s3, _) = try await daemon()
        let key = daemon.root + "/key.txt"
        let made = try await SystemThread.run { Result { try run([Binaries.pacactl, "key", "new", "--out", key]) } }.get()
        let recipient = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let config = try String(contentsOfFile: daemon.configPath, encoding: .utf8)
        try (config + "\n    encryption: {recipients: [\(recipient)]}\n").write(
            toFile: daemon.configPath, atomically: true, encoding: .utf8)
        daemon.write("noise", randomBytes(7 << 20))
        daemon.write("train/secret-label.txt", Array("cat\n".utf8))
        try await daemon.start(environment: Self.keys)
        let first = try await daemon.pacactl(["backup", "now", "--json"])
        #expect(first.status == 0, "\(first.stderr)")
        let id = try #require(first.json["id"] as? String)
        daemon.write("train/secret-label.txt", Array("dog\n".utf8))
        let second = try await daemon.pacactl(["backup", "now", "--json"])
        #expect(second.json["type"] as? String == "incremental" && second.json["sealed"] as? Bool == true, "\(second.stdout)")
        let secondID = try #require(second.json["id"] as? String)

        let objects = try await s3.list(prefix: "fleet/").map(\.key).filter { $0.contains("/data/") }.sorted()
        #expect(objects.count == 4 && objects.allSatisfy { $0.hasSuffix(".zip.age") || $0.hasSuffix(".zip.age.sha256") }, "\(objects)")
        let objectKey = try #require(objects.first { $0.hasSuffix("\(id).zip.age") })
        let sealed = try await s3.get(objectKey)
        let sidecar = String(decoding: try await s3.get(objectKey + ".sha256"), as: UTF8.self)
        #expect(sealed.firstRange(of: Array("secret-label".utf8)) == nil)
        try Data(sealed).write(to: URL(fileURLWithPath: daemon.root + "/fetched.zip.age"))
        let summed = try await SystemThread.run { Result { try run(["/usr/bin/sha256sum", daemon.root + "/fetched.zip.age"]) } }.get()
        #expect(summed.stdout.prefix(64) == sidecar.prefix(64), "\(summed.stdout) \(sidecar)")
        let opened = try await SystemThread.run {
            Result { try run(["/usr/bin/age", "-d", "-i", key, "-o", daemon.root + "/fetched.zip", daemon.root + "/fetched.zip.age"]) }
        }.get()
        #expect(opened.status == 0, "\(opened.stderr)")
        #expect(try ArchiveReader(path: daemon.root + "/fetched.zip").entries.contains { $0.path.hasSuffix("secret-label.txt") })

        let restored = try await daemon.pacactl(["restore", secondID, "--to", daemon.root + "/r", "--identity", key])
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(treeSnapshot(daemon.root + "/r/source") == treeSnapshot(daemon.source))
        await daemon.stop()
    }

    @Test func statusShowsTargetsAndCredentialsNeverLeak() async throws {
        let (daemon, _, bucket) = try await daemon()
        daemon.write("a.txt", Array("hello".utf8))
        let secret = Self.keys["AWS_SECRET_ACCESS_KEY"]!
        try await daemon.start(environment: Self.keys)
        let backup = try await daemon.pacactl(["backup", "now", "--json"])
        #expect(backup.status == 0, "\(backup.stderr)")
        #expect((backup.json["deliveries"] as? [[String: Any]])?.first?["status"] as? String == "ok")
        // The first check of the bucket runs just after READY, beside the first backup.
        var status = try await daemon.pacactl(["status", "--json"])
        await eventually("the bucket's first check") {
            status = (try? await daemon.pacactl(["status", "--json"])) ?? status
            return ((status.json["targets"] as? [[String: Any]])?.last?["checked_at"] as? String) != nil
        }
        let targets = status.json["targets"] as? [[String: Any]] ?? []
        #expect(targets.map { $0["name"] as? String } == ["local", "remote"])
        #expect(targets[1]["healthy"] as? Bool == true, "\(targets)")
        #expect(
            (targets[1]["location"] as? String)?.hasSuffix("/\(bucket)/fleet/\(ProcessInfo.processInfo.hostName)") == true, "\(targets[1])")
        #expect(targets[1]["last_delivery_at"] is String)
        #expect(targets[0]["free_bytes"] is Int)
        let human = try await daemon.pacactl(["status"])
        #expect(human.stdout.contains("TARGET") && human.stdout.contains("remote"), "\(human.stdout)")
        for text in [status.stdout, human.stdout, daemon.log(), try await daemon.pacactl(["backup", "list", "--json"]).stdout] {
            #expect(!text.contains(secret))
        }
        await daemon.stop()
    }
}
