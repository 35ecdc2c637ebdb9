import Foundation
import Logging
import PacaCatalog
import PacaCore
import PacaFiles
import PacaSystem

/// The dashboard rows: each page of a real pacad timed with curl, on a catalog of 10,000
/// backups and a set whose backups hold 1,000,000 files each.
///
/// The state is made directly (the catalog through PacaCatalog, the file index from manifest
/// copies in the format the archive writer leaves, through PacaFiles, as the daemon makes them):
/// 10,000 real backups would take hours and measure the writer, not the pages. Set `runs` has
/// 10,000 backups of 200 files (`config.yaml` changes in every one, so its history has 10,000
/// versions); set `big` has 3 backups of 1,000 folders of 1,000 files (the second changes 1,000
/// files, the third removes 100 and adds 10). The state is kept in `<work>/dashboard` and reused.
struct DashboardBench {
    let work: String
    let pacad: String
    let pacactl: String
    let requests: Int

    static let runBackups = 10_000
    static let runFiles = 200
    static let folders = 1000
    static let filesPerFolder = 1000

    struct Row {
        var page: String
        var milliseconds: [Double]
        var bytes: Int
    }

    var root: String { work + "/dashboard" }
    var state: String { root + "/state" }

    func run() async throws -> (rows: [Row], buildSeconds: Double?, indexBytes: UInt64) {
        var buildSeconds: Double?
        let marker = root + "/built-\(Self.runBackups)-\(Self.folders * Self.filesPerFolder)"
        if !FileManager.default.fileExists(atPath: marker) {
            clean(root)
            let started = Date()
            try await build()
            buildSeconds = Date().timeIntervalSince(started)
            _ = FileManager.default.createFile(atPath: marker, contents: Data())
        }
        let indexBytes =
            ((try? FileManager.default.attributesOfItem(atPath: state + "/files.sqlite"))?[.size] as? NSNumber)?.uint64Value ?? 0
        let config = """
            state_dir: \(state)
            socket: \(root)/pacad.sock
            targets:
              local: {type: directory, path: \(root)/backups}
            sets:
              runs: {paths: [\(root)/runs], rpo: 6h}
              big: {paths: [\(root)/big], rpo: 1d}
            http: {listen: "127.0.0.1:0"}
            """
        try config.write(toFile: root + "/pacad.yaml", atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: pacad)
        process.arguments = ["--config", root + "/pacad.yaml", "--log-level", "warning", "--target-check-interval", "3600"]
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        var login = ""
        for _ in 0..<400 where login.isEmpty {
            login = S3Bench.capture(pacactl, ["web", "url", "--socket", root + "/pacad.sock"]).trimmingCharacters(
                in: .whitespacesAndNewlines)
            if !login.hasPrefix("http") {
                login = ""
                usleep(50_000)
            }
        }
        guard let base = login.components(separatedBy: "/login").first, !login.isEmpty else { throw BenchError("pacad did not serve HTTP") }
        let jar = root + "/cookies"
        _ = S3Bench.capture("/usr/bin/curl", ["-s", "-o", "/dev/null", "-c", jar, login])

        let runs = try await ids(set: "runs")
        let big = try await ids(set: "big")
        let pages: [(String, String)] = [
            ("overview `/`", "/"),
            ("backups, first page of 10,003", "/backups"),
            ("backups, last page (offset 9,950)", "/backups?offset=9950"),
            (
                "backups filtered: `set = \"runs\" and bytes_in > 1000`",
                "/backups?where=" + Self.query("set = \"runs\" and bytes_in > 1000")
            ),
            ("a backup of 1,000,000 files: top folder", "/backups/\(big[2])?dir=big"),
            ("the same: a folder of 1,000 files", "/backups/\(big[2])?dir=big%2Fd0500"),
            ("history of a file with 10,000 versions (newest 500)", "/history?set=runs&path=runs%2Fconfig.yaml"),
            ("history of a file in the 1,000,000-file set", "/history?set=big&path=big%2Fd0000%2Ff0000.bin"),
            ("diff of two 1,000,000-file backups (1,000 changed)", "/diff?from=\(big[0])&to=\(big[1])"),
            ("diff across 10,000 backups of `runs`", "/diff?from=\(runs[0])&to=\(runs[runs.count - 1])"),
            ("charts of `runs` (200 newest)", "/charts?set=runs"),
            ("events and audit log", "/events"),
            ("`/metrics`", "/metrics"),
        ]
        var rows: [Row] = []
        for (label, path) in pages {
            var times: [Double] = []
            var bytes = 0
            for _ in 0..<requests {
                let out = S3Bench.capture(
                    "/usr/bin/curl",
                    ["-s", "-o", root + "/page.html", "-b", jar, "-w", "%{http_code} %{time_total} %{size_download}", base + path])
                let parts = out.split(separator: " ")
                guard parts.count == 3, parts[0] == "200", let seconds = Double(parts[1]) else {
                    throw BenchError("\(path) answered \(out)")
                }
                times.append(seconds * 1000)
                bytes = Int(parts[2]) ?? 0
            }
            rows.append(Row(page: label, milliseconds: times, bytes: bytes))
        }
        return (rows, buildSeconds, indexBytes)
    }

    static func query(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }

    /// The backup ids of `set`, oldest first, from the catalog.
    func ids(set: String) async throws -> [String] {
        let (catalog, _) = try await Catalog.open(stateDirectory: state, clock: ServiceClock.system.wall)
        return await catalog.list(set: set).map(\.id)
    }

    func build() async throws {
        log("dashboard: making a catalog of \(Self.runBackups + 3) backups and a file index with a 1,000,000-file set (once)")
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let (catalog, _) = try await Catalog.open(stateDirectory: state, clock: ServiceClock.system.wall)
        let files = try await FileIndex.open(stateDirectory: state, logger: Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() })
        var random = SplitMix64(seed: 20_261_205)
        var previous: String?
        let start: Int64 = 1_796_000_000
        func record(set: String, at time: Int64, files count: Int, bytes: UInt64) async throws -> BackupRecord {
            let id = BackupID(set: set, unixSeconds: time, after: previous, using: &random).text
            previous = id
            var record = BackupRecord(
                id: id, set: set, trigger: .job("nightly"), reason: nil, startedAt: time, target: "local",
                path: "\(root)/backups/\(set)/\(id).zip")
            record.status = time % 97 == 0 ? .failed : .complete
            record.finishedAt = time + 3 + time % 5
            record.files = count
            record.bytesIn = bytes
            record.bytesWritten = bytes / 50
            record.bytesStored = bytes / 60
            record.type = .incremental
            record.deliveries = [Delivery(target: "local", status: .ok, location: record.path, attempts: 1, deliveredAt: time + 4)]
            try await catalog.insert(record)
            return await catalog.record(id) ?? record
        }
        func ingest(_ record: BackupRecord, _ manifest: String) async throws {
            try manifest.write(toFile: files.manifestPath(id: record.id), atomically: false, encoding: .utf8)
            await files.submit(id: record.id, set: record.set, sequence: record.sequence, createdAt: record.startedAt)
            await files.settle()
            if let problem = await files.lastProblem { throw BenchError("the file index refused \(record.id): \(problem)") }
        }
        // The big set: three backups of 1,000,000 files.
        let names = (0..<Self.folders).map { String(format: "d%04d", $0) }
        for version in 0..<3 {
            var lines: [String] = [Self.line("big", kind: "directory")]
            for (folder, name) in names.enumerated() {
                lines.append(Self.line("big/\(name)", kind: "directory"))
                for file in 0..<Self.filesPerFolder {
                    if version == 2 && folder == 999 && file < 100 { continue }
                    let changed = version >= 1 && folder == 0
                    lines.append(
                        Self.line(
                            "big/\(name)/" + String(format: "f%04d.bin", file), size: 4096,
                            digest: changed ? file + 7_000_000 : folder * 1000 + file))
                }
            }
            if version == 2 {
                for extra in 0..<10 { lines.append(Self.line("big/new/added-\(extra).bin", size: 10, digest: 9_000_000 + extra)) }
            }
            let made = try await record(
                set: "big", at: start + Int64(version) * 86_400, files: lines.count, bytes: 4096 * UInt64(lines.count))
            try await ingest(made, Self.manifest(made.id, lines))
            log("dashboard: big backup \(version + 1) of 3 indexed")
        }
        // The runs set: 10,000 backups of 200 files, config.yaml and one metrics file changing each time.
        for number in 0..<Self.runBackups {
            var lines: [String] = [Self.line("runs", kind: "directory"), Self.line("runs/metrics", kind: "directory")]
            lines.append(Self.line("runs/config.yaml", size: 100 + number % 50, digest: 10_000_000 + number))
            for file in 0..<(Self.runFiles - 2) {
                let digest = file % 100 == number % 100 ? 20_000_000 + number : 30_000_000 + file
                lines.append(Self.line("runs/metrics/" + String(format: "step-%03d.json", file), size: 512, digest: digest))
            }
            let made = try await record(
                set: "runs", at: start + 300_000 + Int64(number) * 600, files: Self.runFiles, bytes: 200_000 + UInt64(number))
            try await ingest(made, Self.manifest(made.id, lines))
            if number % 2000 == 1999 { log("dashboard: \(number + 1) of \(Self.runBackups) runs backups indexed") }
        }
    }

    static func line(_ path: String, kind: String = "file", size: Int = 0, digest: Int = 0) -> String {
        var text =
            "{\"path\":\"\(path)\",\"type\":\"\(kind)\",\"size\":\(size),\"mode\":\"\(kind == "directory" ? "0755" : "0644")\",\"mtime\":1796000000"
        if kind == "file" {
            text +=
                ",\"sha256\":\"" + String(repeating: String(format: "%016llx", UInt64(digest) &* 0x9E37_79B9_7F4A_7C15), count: 4) + "\""
        }
        return text + "}"
    }

    static func manifest(_ id: String, _ lines: [String]) -> String {
        "{\"format\":\"paca.manifest\",\"version\":3,\"backup_id\":\"\(id)\",\"set\":null,\"created_at\":\"2026-12-05T00:00:00Z\",\"parent\":null,\"entries\":[\n"
            + lines.joined(separator: ",\n") + "\n],\"kind\":\"full\",\"references\":[],\"entry_count\":\(lines.count),\"bytes\":0}\n"
    }

    static func printTable(_ result: (rows: [Row], buildSeconds: Double?, indexBytes: UInt64), requests: Int) {
        print("\n| dashboard page (10,003 backups; a set of 1,000,000 files) | median ms | p95 ms | page KiB | limit | met |")
        print("|---|---|---|---|---|---|")
        for row in result.rows {
            let median = row.milliseconds.median
            let p95 = row.milliseconds.percentile(0.95)
            print(
                "| \(row.page) | \(String(format: "%.1f", median)) | \(String(format: "%.1f", p95)) | \(String(format: "%.0f", Double(row.bytes) / 1024)) | < 100 | \(p95 < 100 ? "yes" : "NO") |"
            )
        }
        print(
            "\n\(requests) requests a page, with curl (time_total) on loopback. File index: \(String(format: "%.0f", Double(result.indexBytes) / 1_048_576)) MiB"
                + (result.buildSeconds.map { String(format: "; made in %.0f s", $0) } ?? "") + "."
        )
    }
}
