import Foundation
import PacaS3

/// The S3 rows: a backup of the bench corpus by pacad to a SeaweedFS bucket against `restic
/// backup` to the same server (restic speaks S3), side by side and round-robin in one run; and
/// `pacactl catalog rebuild` of 1,000 archives from a bucket after the state directory is gone.
/// SeaweedFS is started with the script the tests use (packaging/testing/seaweedfs.sh).
struct S3Bench {
    let work: String
    let corpus: String
    let pacad: String
    let pacactl: String
    let seaweedScript: String
    let runs: Int

    struct Results {
        var pacad: [Double] = []
        var restic: [Double] = []
        var rebuild: [Double] = []
        var archives = 0
    }

    struct Server {
        var endpoint: String
        var keys: [String: String]
    }

    func run() async throws -> Results {
        let serverDirectory = work + "/seaweedfs"
        Runner.setup("bash '\(seaweedScript)' start '\(serverDirectory)'", in: work)
        defer { Runner.setup("bash '\(seaweedScript)' stop '\(serverDirectory)'", in: work) }
        let server = try Self.server(serverDirectory + "/env")
        var results = Results()
        for run in 1...runs {
            // restic first in odd runs, pacad first in even ones, so drift in machine load hits both.
            for tool in run % 2 == 1 ? ["restic", "pacad"] : ["pacad", "restic"] {
                log("run \(run)/\(runs): \(tool) backup to SeaweedFS")
                prepareStep(warming: corpus)
                if tool == "restic" {
                    results.restic.append(try resticBackup(server, bucket: "restic-\(run)"))
                } else {
                    results.pacad.append(try await pacadBackup(server, bucket: "pacad-\(run)", run: run))
                }
            }
        }
        log("catalog rebuild: 1,000 backups to a bucket, then the state directory goes")
        (results.rebuild, results.archives) = try await rebuild(server, count: 1000)
        return results
    }

    static func server(_ envFile: String) throws -> Server {
        let text = try String(contentsOfFile: envFile, encoding: .utf8)
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.replacingOccurrences(of: "export ", with: "").split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { values[parts[0]] = parts[1] }
        }
        guard let endpoint = values["PACA_TEST_S3_ENDPOINT"], let access = values["PACA_TEST_S3_ACCESS_KEY"],
            let secret = values["PACA_TEST_S3_SECRET_KEY"]
        else { throw BenchError("SeaweedFS did not start (no \(envFile))") }
        return Server(endpoint: endpoint, keys: ["AWS_ACCESS_KEY_ID": access, "AWS_SECRET_ACCESS_KEY": secret])
    }

    func resticBackup(_ server: Server, bucket: String) throws -> Double {
        var environment = server.keys
        environment["RESTIC_PASSWORD"] = "pacabench"
        let repository = "s3:\(server.endpoint)/\(bucket)"
        let cache = work + "/s3/restic-cache-\(bucket)"
        Runner.setup("restic init -q --repo \(repository)", in: work, environment: environment)
        let measured = Runner.measure(
            "restic -q --repo \(repository) --cache-dir \(cache) backup corpus", in: work, environment: environment)
        guard measured.status == 0 else { throw BenchError("restic backup to SeaweedFS exited \(measured.status)") }
        return measured.wall
    }

    func pacadBackup(_ server: Server, bucket: String, run: Int) async throws -> Double {
        try await createBucket(server, bucket)
        let daemon = try self.daemon(directory: work + "/s3/pacad-\(run)", server: server, bucket: bucket, source: corpus)
        defer { daemon.stop() }
        let measured = Runner.measure("\(pacactl) backup now --socket \(daemon.socket)", in: work)
        guard measured.status == 0 else { throw BenchError("pacad backup to SeaweedFS failed; see \(daemon.directory)/pacad.log") }
        return measured.wall
    }

    func rebuild(_ server: Server, count: Int) async throws -> ([Double], Int) {
        let directory = work + "/s3/rebuild"
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory + "/source", withIntermediateDirectories: true)
        try "small file\n".write(toFile: directory + "/source/a.txt", atomically: false, encoding: .utf8)
        try await createBucket(server, "rebuild")
        var daemon = try self.daemon(directory: directory, server: server, bucket: "rebuild", source: directory + "/source")
        for index in 0..<count {
            let made = Runner.measure("\(pacactl) backup now --socket \(daemon.socket)", in: work)
            guard made.status == 0 else { throw BenchError("backup \(index) for the rebuild rows failed") }
        }
        daemon.stop()
        var timings: [Double] = []
        for _ in 0..<runs {
            try FileManager.default.removeItem(atPath: directory + "/state")
            daemon = try self.daemon(directory: directory, server: server, bucket: "rebuild", source: directory + "/source")
            let measured = Runner.measure("\(pacactl) catalog rebuild --target remote --socket \(daemon.socket)", in: work)
            let listed = Self.capture(pacactl, ["backup", "list", "--json", "--socket", daemon.socket])
            let backups = ((try? JSONSerialization.jsonObject(with: Data(listed.utf8))) as? [String: Any])?["backups"] as? [Any]
            daemon.stop()
            guard measured.status == 0, backups?.count == count else {
                throw BenchError("catalog rebuild exited \(measured.status) with \(backups?.count ?? 0) of \(count) backups cataloged")
            }
            timings.append(measured.wall)
        }
        return (timings, count)
    }

    func createBucket(_ server: Server, _ bucket: String) async throws {
        let client = S3Client(
            endpoint: try S3Endpoint.parse(server.endpoint, bucket: bucket, region: "us-east-1", addressing: .path).get(),
            credentials: S3Credentials(accessKey: server.keys["AWS_ACCESS_KEY_ID"]!, secretKey: server.keys["AWS_SECRET_ACCESS_KEY"]!),
            clock: { Int64(Date().timeIntervalSince1970) })
        try await client.createBucket()
    }

    /// pacad with one S3 target `remote` and one set over `source`.
    func daemon(directory: String, server: Server, bucket: String, source: String) throws -> BenchDaemon {
        try BenchDaemon(
            directory: directory, pacad: pacad, pacactl: pacactl, work: work,
            targets: "  remote: {type: s3, endpoint: \"\(server.endpoint)\", bucket: \(bucket), prefix: bench}", source: source,
            environment: server.keys)
    }

    /// Standard output of a command.
    static func capture(_ program: String, _ arguments: [String]) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        guard (try? process.run()) != nil else { return "" }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    static func printTable(_ results: Results) {
        print("\n| S3 target (SeaweedFS on this machine) | measured | limit | met |")
        print("|---|---|---|---|")
        let ours = results.pacad.median
        let restic = results.restic.median
        print("| pacad backup of the corpus to a bucket, median s (\(results.pacad.count) runs) | \(String(format: "%.2f", ours)) | | |")
        print("| restic backup of the corpus to a bucket, median s | \(String(format: "%.2f", restic)) | | |")
        let ratio = ours / restic
        print("| pacad / restic wall time | \(String(format: "%.2f", ratio)) | ≤ 0.7 | \(ratio <= 0.7 ? "yes" : "NO") |")
        print(
            "| catalog rebuild of \(results.archives) archives from the bucket, median s (\(results.rebuild.count) runs) | \(String(format: "%.2f", results.rebuild.median)) | | |"
        )
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
