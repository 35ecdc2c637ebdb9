import Foundation
import PacaSystem

/// A source of many small files (1,000,000 in the full run) through a real pacad: backed up,
/// verified, and restored by pacactl, with each process's peak resident memory (VmHWM, sampled
/// every 20 ms while it works) and every file compared with its source.
struct Scale {
    let options: Options
    let watchdog: Watchdog

    func run() -> [Row] {
        let count = options.quick ? 20_000 : 1_000_000
        var row = Row(
            section: "scale", name: "\(count.formatted()) files", tried: count, survived: 0, lost: 0,
            note: "")
        do {
            let daemon = try Daemon(root: options.work + "/scale", binaries: options.binaries)
            watchdog.beat("scale: writing \(count) files")
            let started = Date()
            try Self.writeTree(daemon.source, count: count, seed: options.seed) { watchdog.beat("scale: writing file \($0)") }
            log("scale: \(count) files written in \(Int(Date().timeIntervalSince(started))) s")
            try daemon.start()
            guard let pid = daemon.process?.processIdentifier else { throw Violation("pacad is not running") }
            watchdog.beat("scale: backup")
            var peaks: [String] = []
            let backup = try measure(daemon, ["backup", "now", "--json", "--reason", "scale"], sampling: pid)
            guard backup.answer.status == 0, let id = backup.answer.json["id"] as? String else {
                throw Violation("the backup of \(count) files failed (\(backup.answer.status)): \(backup.answer.err)")
            }
            peaks.append("backup \(backup.seconds) s, pacad peak \(backup.peak) MiB")
            watchdog.beat("scale: verify")
            let verify = try measure(daemon, ["backup", "verify", id, "--json"], sampling: pid)
            guard verify.answer.status == 0 else { throw Violation("verify failed (\(verify.answer.status)): \(verify.answer.err)") }
            peaks.append("verify \(verify.seconds) s, pacad peak \(verify.peak) MiB")
            watchdog.beat("scale: restore")
            let destination = daemon.root + "/restore"
            let restore = try measure(daemon, ["restore", id, "--to", destination, "--json"], sampling: nil)
            guard restore.answer.status == 0 else { throw Violation("restore failed (\(restore.answer.status)): \(restore.answer.err)") }
            peaks.append("restore \(restore.seconds) s, pacactl peak \(restore.peak) MiB")
            daemon.stop()
            watchdog.beat("scale: comparing")
            let different = try Self.compare(daemon.source, destination + "/work") { watchdog.beat("scale: comparing folder \($0)") }
            row.lost = different.count
            row.survived = count - different.count
            row.failures += different.prefix(10).map { "scale: \($0)" }
            row.note =
                "a tree of \(count.formatted()) files of 0-2 KiB in folders of 1,000 backed up by a real pacad, verified, restored by pacactl and compared file by file; peak RSS sampled (VmHWM): "
                + peaks.joined(separator: "; ")
            try? FileManager.default.removeItem(atPath: daemon.root)
        } catch {
            row.failures.append("scale: \(error)")
        }
        return [row]
    }

    struct Measured {
        var answer: Daemon.Answer
        var seconds: String
        var peak: String
    }

    /// Runs pacactl and samples the peak RSS of `pid` (pacad), or of pacactl itself when nil.
    func measure(_ daemon: Daemon, _ arguments: [String], sampling pid: Int32?) throws -> Measured {
        let started = Date()
        let (process, finish) = try daemon.startCtl(arguments, timeout: 600)
        let watched = pid ?? process.processIdentifier
        var peak = 0
        while process.isRunning {
            watchdog.beat("scale: pacactl \(arguments.prefix(2).joined(separator: " "))")
            peak = max(peak, Self.highWaterKiB(watched))
            Thread.sleep(forTimeInterval: 0.02)
        }
        let answer = finish()
        if pid != nil { peak = max(peak, Self.highWaterKiB(watched)) }
        return Measured(
            answer: answer, seconds: String(format: "%.1f", Date().timeIntervalSince(started)),
            peak: String(format: "%.1f", Double(peak) / 1024))
    }

    /// VmHWM of `pid` in KiB (0 once it is gone).
    static func highWaterKiB(_ pid: Int32) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }

    /// `count` files of 0-2 KiB (deterministic content) in folders of 1,000.
    static func writeTree(_ root: String, count: Int, seed: UInt64, progress: (Int) -> Void) throws {
        var random = Random(seed: seed)
        for index in 0..<count {
            let folder = "\(root)/d\(index / 1000)"
            if index % 1000 == 0 {
                try DurableFile.makeDirectories(folder, permissions: 0o755)
                progress(index)
            }
            var bytes = Array("file \(index) of \(count)\n".utf8)
            bytes += random.bytes(random.below(2048))
            try Syscall.writeFile("\(folder)/f\(index).txt", bytes)
        }
    }

    /// The files of `source` missing from `copy` or different there.
    static func compare(_ source: String, _ copy: String, progress: (String) -> Void) throws -> [String] {
        var different: [String] = []
        for folder in try Syscall.entries(of: source) {
            guard let name = folder.nameText else { continue }
            progress(name)
            for file in try Syscall.entries(of: source + "/" + name) {
                guard let fileName = file.nameText else { continue }
                let relative = name + "/" + fileName
                let original = try DurableFile.read(source + "/" + relative)
                let restored = try? DurableFile.read(copy + "/" + relative)
                if original != restored ?? nil { different.append(relative + (restored == nil ? " is missing" : " differs")) }
            }
        }
        return different
    }
}
