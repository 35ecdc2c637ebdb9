import Foundation
import PacaS3

/// S3 answering bursts of 500 and 503: a real pacad backing up to a real SeaweedFS through
/// packaging/testing/s3-fault-proxy.py, which answers runs of 1-4 requests with InternalError or
/// SlowDown (about one request in twelve starts a burst), uploads and restores alike. What must
/// hold: a backup whose delivery pacad reports done restores exactly, through the same bursts;
/// one whose upload ran out of retries is reported failed, never
/// reported done. On the main actor: the programs it starts must not inherit the signal mask of
/// a thread of the cooperative pool (which blocks SIGTERM).
@MainActor struct Bursts {
    let options: Options
    let watchdog: Watchdog

    func run() async -> [Row] {
        let environment = ProcessInfo.processInfo.environment
        var row = Row(
            section: "faults", name: "S3 500/503 bursts", tried: 0, survived: 0, lost: 0,
            note:
                "a real SeaweedFS behind a proxy answering bursts of 1-4 requests with 500 InternalError or 503 SlowDown: every backup whose delivery pacad reports done restores exactly from the bucket, through the bursts"
        )
        guard let endpoint = environment["PACA_TEST_S3_ENDPOINT"], let access = environment["PACA_TEST_S3_ACCESS_KEY"],
            let secret = environment["PACA_TEST_S3_SECRET_KEY"]
        else {
            row.note += " (not run: no S3 server; `make test` and `make reliability` start SeaweedFS)"
            if environment["PACA_REQUIRE_S3"] == "1" {
                row.tried = 1
                row.failures.append("S3 bursts: PACA_REQUIRE_S3 is set but PACA_TEST_S3_ENDPOINT is not")
            }
            return [row]
        }
        let runs = options.quick ? 6 : 50
        let work = options.work + "/bursts"
        var proxy: Process?
        var proxyInput: Pipe?
        var outcomes: [String: Int] = [:]
        do {
            try? FileManager.default.removeItem(atPath: work)
            try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
            let bucket = "reliability-\(UInt32.random(in: 0...UInt32.max))"
            let client = S3Client(
                endpoint: try S3Endpoint.parse(endpoint, bucket: bucket, region: "us-east-1", addressing: .path).get(),
                credentials: S3Credentials(accessKey: access, secretKey: secret), clock: { Int64(Date().timeIntervalSince1970) })
            try await client.createBucket()
            let (started, port, input) = try startProxy(upstream: endpoint, stats: work + "/proxy-stats.json")
            proxy = started
            proxyInput = input
            let daemon = try Daemon(
                root: work + "/daemon", binaries: options.binaries,
                targets: ("  bucket: {type: s3, endpoint: \"http://127.0.0.1:\(port)\", bucket: \(bucket), prefix: bursts}", "bucket"))
            let state = Kills.State(daemon: daemon, seed: options.seed &+ 300)
            try daemon.start(environment: ["AWS_ACCESS_KEY_ID": access, "AWS_SECRET_ACCESS_KEY": secret])
            for run in 0..<runs {
                watchdog.beat("S3 bursts run \(run)")
                row.tried += 1
                do {
                    try state.changeSource()
                    let tree = state.snapshot()
                    let answer = daemon.ctl(["backup", "now", "--json", "--reason", "bursts"])
                    let deliveries = answer.json["deliveries"] as? [[String: Any]] ?? []
                    let delivered = deliveries.first?["status"] as? String == "ok"
                    var lost: [String] = []
                    var problems: [String] = []
                    if answer.status == 0, delivered, let id = answer.json["id"] as? String {
                        outcomes["delivered", default: 0] += 1
                        let backup = Kills.Acknowledged(id: id, tree: tree)
                        state.acknowledged.append(backup)
                        if let problem = state.restoresExactly(backup) {
                            // A restore may meet a burst longer than its retries: it must fail, never
                            // give wrong files; restoresExactly tells the two apart by the status.
                            if problem.contains("differs") { lost.append(problem) } else { problems.append(problem) }
                        }
                    } else {
                        outcomes["upload failed (backup failed)", default: 0] += 1
                        if delivered { problems.append("backup now exited \(answer.status) with its delivery done: \(answer.err)") }
                    }
                    row.count("S3 bursts run \(run)", lost: lost, problems: problems)
                } catch {
                    row.broke("S3 bursts run \(run)", error)
                }
            }
            daemon.stop()
            if let stats = FileManager.default.contents(atPath: work + "/proxy-stats.json"),
                let counts = try? JSONSerialization.jsonObject(with: stats) as? [String: Int]
            {
                row.note +=
                    " (\(counts["requests"] ?? 0) requests, \(counts["injected"] ?? 0) answered with an error in \(counts["bursts"] ?? 0) bursts; "
                row.note += outcomes.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ") + ")"
            }
        } catch {
            row.tried += 1
            row.failures.append("S3 bursts: could not set up: \(error)")
        }
        try? proxyInput?.fileHandleForWriting.close()
        if let proxy, proxy.isRunning {
            kill(proxy.processIdentifier, SIGKILL)
            proxy.waitUntilExit()
        }
        return [row]
    }

    /// Starts the fault proxy; returns it, the port it listens on and its standard input (to
    /// keep open while it should run).
    func startProxy(upstream: String, stats: String) throws -> (Process, Int, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [options.proxyScript, "--upstream", upstream, "--seed", "\(options.seed)", "--stats", stats]
        let out = Pipe()
        process.standardOutput = out
        // The proxy ends when its standard input does: when this program ends, however it ends.
        let input = Pipe()
        process.standardInput = input
        try process.run()
        var line = Data()
        while let byte = try out.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data([0x0A]) { line += byte }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            process.terminate()
            throw Violation("s3-fault-proxy.py did not say its port")
        }
        return (process, port, input)
    }
}
