import Foundation
import PacaAge

/// The encryption rows through pacad: the bench corpus backed up (full) by a set sealed with age
/// and by the same set in clear, then restored by `pacactl restore` (with `--identity` for the
/// sealed one), side by side and round-robin in one run. Each daemon has its own target folder.
struct EncryptionBench {
    let work: String
    let corpus: String
    let pacad: String
    let pacactl: String
    let runs: Int

    struct Results {
        var backup: [String: [Double]] = [:]
        var restore: [String: [Double]] = [:]
        var restoreRSS: [String: [Double]] = [:]
    }

    func run() throws -> Results {
        let root = work + "/encryption"
        clean(root)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let identity = AgeIdentity.generate()
        let key = root + "/identity.txt"
        _ = FileManager.default.createFile(
            atPath: key, contents: Data((identity.fileText(created: "pacabench") ?? "").utf8), attributes: [.posixPermissions: 0o600])
        let recipient = identity.recipient?.text ?? ""
        var daemons: [String: BenchDaemon] = [:]
        for kind in ["clear", "sealed"] {
            daemons[kind] = try BenchDaemon(
                directory: root + "/" + kind, pacad: pacad, pacactl: pacactl, work: work,
                targets: "  local: {type: directory, path: \(root)/\(kind)/backups}", source: corpus,
                setKeys: kind == "sealed" ? ", encryption: {recipients: [\(recipient)]}" : "")
        }
        defer { for daemon in daemons.values { daemon.stop() } }
        var results = Results()
        for run in 1...runs {
            let order = run % 2 == 1 ? ["clear", "sealed"] : ["sealed", "clear"]
            for kind in order {
                guard let daemon = daemons[kind] else { continue }
                log("encryption run \(run)/\(runs): \(kind) full backup through pacad")
                prepareStep(warming: corpus)
                results.backup[kind, default: []].append(try daemon.backup(["--full"]))
            }
            for kind in order {
                guard let daemon = daemons[kind] else { continue }
                log("encryption run \(run)/\(runs): \(kind) restore through pacad")
                let restored = root + "/restored"
                clean(restored)
                prepareStep(warming: daemon.target)
                let id = try daemon.newestID()
                let identityOption = kind == "sealed" ? " --identity '\(key)'" : ""
                let measured = Runner.measure(
                    "\(pacactl) restore \(id) --to '\(restored)' --socket \(daemon.socket)\(identityOption)", in: work)
                guard measured.status == 0 else { throw BenchError("the \(kind) restore failed with status \(measured.status)") }
                results.restore[kind, default: []].append(measured.wall)
                results.restoreRSS[kind, default: []].append(measured.peakRSS)
                clean(restored)
            }
        }
        clean(root)
        return results
    }

    static func printTable(_ r: Results) {
        func f(_ value: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", value) }
        func row(_ label: String, _ value: Double, _ limit: String = "", _ met: Bool? = nil) {
            print("| \(label) | \(f(value)) | \(limit) | \(met.map { $0 ? "yes" : "NO" } ?? "") |")
        }
        let count = r.backup["clear"]?.count ?? 0
        print("\n| encryption through pacad (bench corpus, full backups; \(count) runs, medians) | measured | limit | met |")
        print("|---|---|---|---|")
        let backup = (clear: r.backup["clear"]?.median ?? .nan, sealed: r.backup["sealed"]?.median ?? .nan)
        let restore = (clear: r.restore["clear"]?.median ?? .nan, sealed: r.restore["sealed"]?.median ?? .nan)
        row("pacad full backup, clear set, s", backup.clear)
        row("pacad full backup, sealed set, s", backup.sealed)
        row("backup: sealed / clear", backup.sealed / backup.clear, "≤ 1.15", backup.sealed / backup.clear <= 1.15)
        row("pacactl restore, clear backup, s", restore.clear)
        row("pacactl restore --identity, sealed backup, s", restore.sealed)
        row("restore: sealed / clear", restore.sealed / restore.clear, "≤ 1.15", restore.sealed / restore.clear <= 1.15)
        row("pacactl restore --identity peak RSS, MiB (largest run)", r.restoreRSS["sealed"]?.max() ?? .nan)
    }
}
