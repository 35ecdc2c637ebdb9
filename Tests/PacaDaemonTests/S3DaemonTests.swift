import Foundation
import PacaS3
import Testing

/// Whether the S3 daemon tests run: a server is configured (`make test`), or one is required.
private let s3TestsEnabled =
    ProcessInfo.processInfo.environment["PACA_TEST_S3_ENDPOINT"] != nil || ProcessInfo.processInfo.environment["PACA_REQUIRE_S3"] == "1"

@Suite(.serialized, .enabled(if: s3TestsEnabled, "needs the SeaweedFS server that `make test` starts"))
struct S3DaemonTests {
    static let environment = ProcessInfo.processInfo.environment
    static var keys: [String: String] {
        ["AWS_ACCESS_KEY_ID": environment["PACA_TEST_S3_ACCESS_KEY"] ?? "", "AWS_SECRET_ACCESS_KEY": environment["PACA_TEST_S3_SECRET_KEY"] ?? ""]
    }

    struct Missing: Error {}

    /// A daemon whose set `data` goes to an S3 bucket of its own, in 5 MiB parts.
    func daemon(_ label: String = #function) async throws -> (DaemonHarness, S3Client, String) {
        guard let endpoint = Self.environment["PACA_TEST_S3_ENDPOINT"] else {
            Issue.record("no S3 server: PACA_TEST_S3_ENDPOINT is not set (run `make test`)")
            throw Missing()
        }
        let bucket = "d-\(UUID().uuidString.lowercased().prefix(20))"
        let s3 = S3Client(
            endpoint: try S3Endpoint.parse(endpoint, bucket: bucket, region: "us-east-1", addressing: .path).get(),
            credentials: S3Credentials(accessKey: Self.keys["AWS_ACCESS_KEY_ID"]!, secretKey: Self.keys["AWS_SECRET_ACCESS_KEY"]!),
            clock: { Int64(Date().timeIntervalSince1970) })
        try await s3.createBucket()
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

    @Test func killDuringAnUploadLeavesNoUnfinishedUploadAfterRestart() async throws {
        let (daemon, s3, _) = try await daemon()
        // Minutes of work at level 9 on one thread; the kill comes long before the end. The wait
        // polls the daemon over its socket (blocking), not S3 through async calls, so a test
        // task starved of the cooperative pool by other suites cannot miss the window.
        daemon.writeSlowSource(blocks: 4096)
        try daemon.start(environment: Self.keys)
        let started = try daemon.pacactl(["backup", "now", "--no-wait", "--json"])
        #expect(started.status == 0)
        var id: String?
        let deadline = Date().addingTimeInterval(120)
        while id == nil, Date() < deadline {
            let result = try daemon.rpc("daemon.status")["result"] as? [String: Any]
            // Past 24 MiB read (about 12 MiB of archive), 5 MiB parts have gone to the upload.
            if let activity = (result?["activities"] as? [[String: Any]])?.first, (activity["bytes"] as? Int ?? 0) > 24 << 20 {
                id = activity["backup"] as? String
            }
            if id == nil { usleep(20_000) }
        }
        let backup = try #require(id, "the backup never got going; log:\n\(daemon.log())")
        daemon.stop(SIGKILL)
        let pending = try await s3.pendingUploads(prefix: "fleet/")
        #expect(pending.map(\.key).map { $0.hasSuffix("/data/\(backup).zip") } == [true], "\(pending)")

        try daemon.start(environment: Self.keys)
        // The sweep runs just after READY; give it a moment (over the socket, not the pool).
        for _ in 0..<200 where !daemon.log().contains("unfinished upload") { usleep(50_000) }
        #expect(try await s3.pendingUploads(prefix: "fleet/").isEmpty)
        #expect(try await s3.list(prefix: "fleet/").isEmpty)
        let shown = try daemon.pacactl(["backup", "show", backup, "--json"]).json
        #expect(shown["status"] as? String == "interrupted")
        #expect(daemon.log().contains("unfinished upload"))
        daemon.stop()
    }

    @Test func statusShowsTargetsAndCredentialsNeverLeak() async throws {
        let (daemon, _, bucket) = try await daemon()
        daemon.write("a.txt", Array("hello".utf8))
        let secret = Self.keys["AWS_SECRET_ACCESS_KEY"]!
        try daemon.start(environment: Self.keys)
        let backup = try daemon.pacactl(["backup", "now", "--json"])
        #expect(backup.status == 0, "\(backup.stderr)")
        #expect((backup.json["deliveries"] as? [[String: Any]])?.first?["status"] as? String == "ok")
        let status = try daemon.pacactl(["status", "--json"])
        let targets = status.json["targets"] as? [[String: Any]] ?? []
        #expect(targets.map { $0["name"] as? String } == ["local", "remote"])
        #expect(targets[1]["healthy"] as? Bool == true, "\(targets)")
        #expect((targets[1]["location"] as? String)?.hasSuffix("/\(bucket)/fleet/\(ProcessInfo.processInfo.hostName)") == true, "\(targets[1])")
        #expect(targets[1]["last_delivery_at"] is String)
        #expect(targets[0]["free_bytes"] is Int)
        let human = try daemon.pacactl(["status"])
        #expect(human.stdout.contains("TARGET") && human.stdout.contains("remote"), "\(human.stdout)")
        for text in [status.stdout, human.stdout, daemon.log(), try daemon.pacactl(["backup", "list", "--json"]).stdout] {
            #expect(!text.contains(secret))
        }
        daemon.stop()
    }
}
