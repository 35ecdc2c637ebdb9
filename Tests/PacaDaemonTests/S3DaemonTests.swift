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
        daemon.writeSlowSource(blocks: 400)
        try daemon.start(environment: Self.keys)
        let started = try daemon.pacactl(["backup", "now", "--no-wait", "--json"])
        #expect(started.status == 0)
        var pending: [S3PendingUpload] = []
        for _ in 0..<600 where pending.isEmpty {
            pending = try await s3.pendingUploads(prefix: "fleet/")
            if pending.isEmpty { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(pending.count == 1, "the upload never started; log:\n\(daemon.log())")
        let key = try #require(pending.first?.key)
        let id = String(key.split(separator: "/").last!.dropLast(4))
        #expect(key.hasSuffix("/data/\(id).zip"))
        daemon.stop(SIGKILL)

        try daemon.start(environment: Self.keys)
        #expect(try await s3.pendingUploads(prefix: "fleet/").isEmpty)
        #expect(try await s3.list(prefix: "fleet/").isEmpty)
        let shown = try daemon.pacactl(["backup", "show", id, "--json"]).json
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
