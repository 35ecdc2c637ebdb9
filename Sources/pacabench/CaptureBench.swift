import Foundation
import PacaCore

/// The checkpoint capture rows: a 1 GiB checkpoint folder of 8 files (seeded random bytes, which
/// compress as little as model weights do) handed to pacad with `paca.checkpoint` from the
/// Python client, with hard links and with `copy=True`, round-robin. Measured inside Python:
/// the time until `paca.checkpoint` returns (the trainer waits this long) and until `wait()`
/// returns (the backup, delivery and read-back).
struct CaptureBench {
    let work: String
    let pacad: String
    let pacactl: String
    let pythonClient: String
    let runs: Int

    struct Results {
        var returned: [String: [Double]] = [:]
        var total: [String: [Double]] = [:]
        var methods: [String: String] = [:]
    }

    static let files = 8
    static let fileBytes = 128 << 20

    func run() throws -> Results {
        let root = work + "/capture"
        clean(root)
        let checkpoints = root + "/checkpoints"
        let folder = checkpoints + "/checkpoint-1000"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var generator = SplitMix64(seed: 20_261_205)
        for index in 0..<Self.files {
            var bytes = [UInt8](repeating: 0, count: Self.fileBytes)
            bytes.withUnsafeMutableBytes { raw in
                let words = raw.bindMemory(to: UInt64.self)
                for position in words.indices { words[position] = generator.next() }
            }
            try Data(bytes).write(to: URL(fileURLWithPath: folder + "/model-\(index)-of-\(Self.files).safetensors"))
        }
        let daemon = try BenchDaemon(
            directory: root + "/daemon", pacad: pacad, pacactl: pacactl, work: work,
            targets: "  local: {type: directory, path: \(root)/daemon/backups}", source: checkpoints)
        defer { daemon.stop() }
        let script = root + "/capture.py"
        try """
        import json, sys, time
        import paca
        copy = sys.argv[3] == "copy"
        started = time.monotonic()
        handle = paca.checkpoint(sys.argv[1], set="corpus", step=1000, metrics={"eval_loss": 0.3}, copy=copy, socket=sys.argv[2])
        returned = time.monotonic() - started
        record = handle.wait()
        total = time.monotonic() - started
        assert record["status"] == "complete", record
        print(json.dumps({"returned": returned, "total": total, "method": handle.capture["method"]}))
        """.write(toFile: script, atomically: true, encoding: .utf8)
        var results = Results()
        for run in 1...runs {
            for mode in run % 2 == 1 ? ["link", "copy"] : ["copy", "link"] {
                log("capture run \(run)/\(runs): 1 GiB checkpoint, \(mode == "link" ? "hard links" : "copy")")
                prepareStep(warming: folder)
                let output = S3Bench.capture(
                    "/usr/bin/env", ["PYTHONPATH=\(pythonClient)", "python3", script, folder, daemon.socket, mode])
                guard let line = output.split(separator: "\n").last,
                    let parsed = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
                    let returned = parsed["returned"] as? Double, let total = parsed["total"] as? Double
                else { throw BenchError("the capture script failed: \(output.suffix(2000))") }
                results.returned[mode, default: []].append(returned)
                results.total[mode, default: []].append(total)
                results.methods[mode] = parsed["method"] as? String
            }
        }
        clean(root)
        return results
    }

    static func printTable(_ r: Results) {
        let count = r.returned["link"]?.count ?? 0
        print("\n| checkpoint capture (1 GiB, 8 files, paca.checkpoint from Python; \(count) runs, medians) | measured | limit | met |")
        print("|---|---|---|---|")
        for (mode, label) in [("link", "hard links"), ("copy", "copy=True")] {
            let returned = (r.returned[mode]?.median ?? .nan) * 1000
            let method = r.methods[mode] ?? "?"
            if mode == "link" {
                print(
                    "| paca.checkpoint returns, \(label) (pacad used: \(method)), ms | \(String(format: "%.1f", returned)) | ≤ 50 | \(returned <= 50 ? "yes" : "NO") |"
                )
            } else {
                print("| paca.checkpoint returns, \(label) (pacad used: \(method)), ms | \(String(format: "%.1f", returned)) | | |")
            }
            print(
                "| backup done (wait() returns: archive, delivery, read-back), \(label), s | \(String(format: "%.2f", r.total[mode]?.median ?? .nan)) | | |"
            )
        }
    }
}
