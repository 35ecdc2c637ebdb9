import Foundation

/// The incremental rows: pacad (a directory target) against restic (a local repository) on the
/// same tree, side by side and alternating which goes first. Per run: both back the corpus up
/// (not measured), `make-corpus.sh mutate` changes ~1%, both back it up again (measured: wall time
/// and what the repository or target grew by), then once more with nothing changed (measured).
/// Restores: pacad's incremental backup of the mutated tree (read from several archives) against
/// a full backup of the same tree. Then a tree of 1,000,000 small files: after a first backup
/// each, the unchanged backup's wall time and peak RSS (pacad's is the daemon's own high-water
/// mark, from a daemon started just before).
struct IncrementalBench {
    let work: String
    let corpus: String
    let corpusScript: String
    let pacad: String
    let pacactl: String
    let restoreDirectory: String
    let runs: Int
    let smallFiles: Int

    struct Results {
        var pacadSecond: [Double] = []
        var resticSecond: [Double] = []
        var pacadGrowth: [Double] = []
        var resticGrowth: [Double] = []
        var pacadUnchanged: [Double] = []
        var resticUnchanged: [Double] = []
        var restoreIncremental: [Double] = []
        var restoreFull: [Double] = []
        var restoreByDaemon: [Double] = []
        var archivesRead: Int = 0
        /// How many small files the many-files rows used (`--small-files`; the target is for 1,000,000).
        var smallFiles = 0
        /// `pacactl archive verify` and `extract` of the many-files full archive: wall seconds, peak RSS MiB.
        var manyVerify = Double.nan
        var manyVerifyRSS = Double.nan
        var manyExtract = Double.nan
        var manyExtractRSS = Double.nan
        /// `pacactl restore` of the many-files full backup through a freshly started pacad: wall
        /// seconds, pacactl's peak RSS and pacad's high-water mark, MiB; restic's restore of its snapshot.
        var manyRestore = Double.nan
        var manyRestoreRSS = Double.nan
        var manyRestorePacadRSS = Double.nan
        var manyResticRestore = Double.nan
        var manyResticRestoreRSS = Double.nan
        /// `pacactl catalog rebuild` of the many-files target after the catalog was deleted: wall
        /// seconds and pacad's high-water mark, MiB.
        var manyRebuild = Double.nan
        var manyRebuildPacadRSS = Double.nan
        var manyPacad: [Double] = []
        var manyRestic: [Double] = []
        var manyPacadRSS: [Double] = []
        var manyResticRSS: [Double] = []
    }

    func run() throws -> Results {
        var results = Results()
        results.smallFiles = smallFiles
        let root = work + "/incremental"
        for run in 1...runs {
            clean(root)
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            let tree = root + "/tree"
            Runner.setup("cp -a '\(corpus)' '\(tree)'", in: work)
            let restic = ResticRepository(path: root + "/restic", cache: root + "/restic-cache", work: work)
            try restic.initialize()
            let daemon = try BenchDaemon(directory: root + "/pacad", pacad: pacad, pacactl: pacactl, source: tree, work: work)
            defer { daemon.stop() }
            let order = run % 2 == 1 ? ["restic", "pacad"] : ["pacad", "restic"]
            for tool in order {
                log("run \(run)/\(runs): \(tool) first backup")
                prepareStep(warming: tree)
                if tool == "restic" { _ = try restic.backup(tree) } else { _ = try daemon.backup() }
            }
            Runner.setup("bash '\(corpusScript)' mutate '\(tree)' --round \(run)", in: work)
            for tool in order {
                log("run \(run)/\(runs): \(tool) backup after mutate")
                prepareStep(warming: tree)
                if tool == "restic" {
                    let before = directorySize(restic.path)
                    results.resticSecond.append(try restic.backup(tree))
                    results.resticGrowth.append(Double(directorySize(restic.path) - before))
                } else {
                    let before = directorySize(daemon.target)
                    results.pacadSecond.append(try daemon.backup())
                    results.pacadGrowth.append(Double(directorySize(daemon.target) - before))
                }
            }
            let incrementalID = try daemon.newestID()
            for tool in order {
                log("run \(run)/\(runs): \(tool) backup of the unchanged tree")
                prepareStep(warming: tree)
                if tool == "restic" {
                    results.resticUnchanged.append(try restic.backup(tree))
                } else {
                    results.pacadUnchanged.append(try daemon.backup())
                }
            }
            log("run \(run)/\(runs): restores of the mutated tree, incremental and full")
            _ = try daemon.backup(["--full"])
            let fullID = try daemon.newestID()
            results.archivesRead = try daemon.references(of: incrementalID) + 1
            for (id, full) in run % 2 == 1 ? [(incrementalID, false), (fullID, true)] : [(fullID, true), (incrementalID, false)] {
                clean(restoreDirectory)
                prepareStep(warming: daemon.target)
                let measured = Runner.measure("\(pacactl) restore \(id) --to \(restoreDirectory) --socket \(daemon.socket)", in: work)
                guard measured.status == 0 else { throw BenchError("pacad restore of \(id) failed (\(measured.status))") }
                if full { results.restoreFull.append(measured.wall) } else { results.restoreIncremental.append(measured.wall) }
            }
            clean(restoreDirectory)
            prepareStep(warming: daemon.target)
            let byDaemon = Runner.measure(
                "\(pacactl) restore \(fullID) --by-daemon --to \(restoreDirectory) --socket \(daemon.socket)", in: work)
            guard byDaemon.status == 0 else { throw BenchError("pacad restore --by-daemon of \(fullID) failed (\(byDaemon.status))") }
            results.restoreByDaemon.append(byDaemon.wall)
            clean(restoreDirectory)
        }
        clean(root)
        try manySmallFiles(into: &results)
        return results
    }

    /// A million small files (generated, never in the repository), a first backup each, then the
    /// unchanged backup measured `runs` times, alternating.
    func manySmallFiles(into results: inout Results) throws {
        let root = work + "/many"
        clean(root)
        let tree = root + "/tree"
        log("making \(smallFiles) small files")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let script = """
            import os, sys
            tree, count = sys.argv[1], int(sys.argv[2])
            for d in range(count // 1000):
                folder = os.path.join(tree, "d%04d" % d)
                os.makedirs(folder)
                for f in range(1000):
                    with open(os.path.join(folder, "f%04d.txt" % f), "w") as out:
                        out.write("file %d %d\\n" % (d, f))
            """
        try script.write(toFile: root + "/make-many.py", atomically: true, encoding: .utf8)
        Runner.setup("python3 '\(root)/make-many.py' '\(tree)' \(smallFiles)", in: work)
        let restic = ResticRepository(path: root + "/restic", cache: root + "/restic-cache", work: work)
        try restic.initialize()
        log("many files: first backups")
        _ = try restic.backup(tree)
        var daemon = try BenchDaemon(directory: root + "/pacad", pacad: pacad, pacactl: pacactl, source: tree, work: work)
        _ = try daemon.backup()
        let fullID = try daemon.newestID()
        daemon.stop()
        // Reading the full archive of a million entries: verify and extract, with their peak RSS.
        let archives = (FileManager.default.enumerator(atPath: daemon.target)?.allObjects as? [String] ?? []).filter {
            $0.hasSuffix(".zip")
        }
        if let archive = archives.sorted().first.map({ daemon.target + "/" + $0 }) {
            log("many files: archive verify and extract")
            let verified = Runner.measure("\(pacactl) archive verify '\(archive)'", in: work)
            results.manyVerify = verified.status == 0 ? verified.wall : .nan
            results.manyVerifyRSS = verified.peakRSS
            let extracted = Runner.measure("\(pacactl) archive extract '\(archive)' --to '\(root)/extracted'", in: work)
            results.manyExtract = extracted.status == 0 ? extracted.wall : .nan
            results.manyExtractRSS = extracted.peakRSS
            clean(root + "/extracted")
        }
        for run in 1...runs {
            for tool in run % 2 == 1 ? ["restic", "pacad"] : ["pacad", "restic"] {
                log("many files run \(run)/\(runs): \(tool) unchanged backup")
                prepareStep(warming: tree)
                if tool == "restic" {
                    let measured = try restic.measuredBackup(tree)
                    results.manyRestic.append(measured.wall)
                    results.manyResticRSS.append(measured.peakRSS)
                } else {
                    daemon = try BenchDaemon(directory: root + "/pacad", pacad: pacad, pacactl: pacactl, source: tree, work: work)
                    results.manyPacad.append(try daemon.backup())
                    results.manyPacadRSS.append(daemon.peakRSSMiB())
                    daemon.stop()
                }
            }
        }
        try readManyBack(fullID, tree: tree, restic: restic, root: root, into: &results)
        clean(root)
    }

    /// The many-files full backup read back: restored by pacactl through a pacad started just
    /// before (its high-water mark is then the restore's), next to restic restoring its newest
    /// snapshot of the same tree; then the catalog deleted and rebuilt from the target.
    func readManyBack(_ fullID: String, tree: String, restic: ResticRepository, root: String, into results: inout Results) throws {
        let restored = root + "/restored"
        for tool in ["pacad", "restic"] {
            clean(restored)
            prepareStep(warming: root + "/pacad/backups")
            log("many files: \(tool) restore")
            if tool == "pacad" {
                let daemon = try BenchDaemon(directory: root + "/pacad", pacad: pacad, pacactl: pacactl, source: tree, work: work)
                let measured = Runner.measure("\(pacactl) restore \(fullID) --to '\(restored)' --socket \(daemon.socket)", in: work)
                results.manyRestore = measured.status == 0 ? measured.wall : .nan
                results.manyRestoreRSS = measured.peakRSS
                results.manyRestorePacadRSS = daemon.peakRSSMiB()
                daemon.stop()
            } else {
                // Every snapshot in the repository is of the same unchanged tree.
                let measured = Runner.measure(
                    "restic -q --repo '\(restic.path)' --cache-dir '\(restic.cache)' restore latest --target '\(restored)'", in: work,
                    environment: restic.environment)
                results.manyResticRestore = measured.status == 0 ? measured.wall : .nan
                results.manyResticRestoreRSS = measured.peakRSS
            }
        }
        clean(restored)
        log("many files: catalog rebuild")
        for file in ["catalog.sqlite", "catalog.sqlite-wal", "catalog.sqlite-shm"] { unlink(root + "/pacad/state/" + file) }
        let daemon = try BenchDaemon(directory: root + "/pacad", pacad: pacad, pacactl: pacactl, source: tree, work: work)
        let rebuilt = Runner.measure("\(pacactl) catalog rebuild --target local --socket \(daemon.socket)", in: work)
        results.manyRebuild = rebuilt.status == 0 ? rebuilt.wall : .nan
        results.manyRebuildPacadRSS = daemon.peakRSSMiB()
        daemon.stop()
    }

    static func printTable(_ r: Results) {
        func f(_ value: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", value) }
        func row(_ label: String, _ value: Double, _ limit: String, _ met: Bool?) {
            print("| \(label) | \(f(value)) | \(limit) | \(met.map { $0 ? "yes" : "NO" } ?? "") |")
        }
        print(
            "\n| incremental (1 GiB corpus, then `make-corpus.sh mutate`; \(r.pacadSecond.count) runs, medians) | measured | limit | met |")
        print("|---|---|---|---|")
        row("pacad second backup, s", r.pacadSecond.median, "", nil)
        row("restic second backup, s", r.resticSecond.median, "", nil)
        let second = r.pacadSecond.median / r.resticSecond.median
        row("second backup: pacad / restic wall", second, "≤ 0.5", second <= 0.5)
        row("pacad second backup adds on the target, MB", r.pacadGrowth.median / 1e6, "", nil)
        row("restic second backup grows its repository, MB", r.resticGrowth.median / 1e6, "", nil)
        let growth = r.pacadGrowth.median / r.resticGrowth.median
        row("bytes added: pacad / restic", growth, "≤ 2", growth <= 2)
        row("pacad backup of the unchanged tree, s", r.pacadUnchanged.median, "", nil)
        row("restic backup of the unchanged tree, s", r.resticUnchanged.median, "", nil)
        let unchanged = r.pacadUnchanged.median / r.resticUnchanged.median
        row("unchanged backup: pacad / restic wall", unchanged, "≤ 0.5", unchanged <= 0.5)
        row("pacad restore of the incremental backup (\(r.archivesRead) archives), s", r.restoreIncremental.median, "", nil)
        row("pacad restore of a full backup of the same tree, s", r.restoreFull.median, "", nil)
        let restore = r.restoreIncremental.median / r.restoreFull.median
        row("restore: incremental / full", restore, "≤ 1.2", restore <= 1.2)
        row("pacad restore of the full backup written by pacad itself (--by-daemon), s", r.restoreByDaemon.median, "", nil)
        let caller = r.restoreFull.median / r.restoreByDaemon.median
        row("full restore: written by the caller / by pacad", caller, "≤ 1.5", caller <= 1.5)
        guard !r.manyPacad.isEmpty else { return }
        var digits = Array(String(r.smallFiles))
        for at in stride(from: digits.count - 3, to: 0, by: -3) { digits.insert(",", at: at) }
        let count = String(digits)
        row("\(count) small files unchanged: pacad, s", r.manyPacad.median, "", nil)
        row("\(count) small files unchanged: restic, s", r.manyRestic.median, "", nil)
        let many = r.manyPacad.median / r.manyRestic.median
        row("\(count) small files unchanged: pacad / restic wall", many, "≤ 1", many <= 1)
        let peak = r.manyPacadRSS.max() ?? .nan
        row("\(count) small files unchanged: pacad peak RSS, MiB (largest run)", peak, "≤ 256", peak <= 256)
        row("\(count) small files unchanged: restic peak RSS, MiB (largest run)", r.manyResticRSS.max() ?? .nan, "", nil)
        row("\(count)-entry archive: pacactl archive verify, s", r.manyVerify, "", nil)
        row("\(count)-entry archive: pacactl archive verify peak RSS, MiB", r.manyVerifyRSS, "≤ 128", r.manyVerifyRSS <= 128)
        row("\(count)-entry archive: pacactl archive extract, s", r.manyExtract, "", nil)
        row("\(count)-entry archive: pacactl archive extract peak RSS, MiB", r.manyExtractRSS, "≤ 128", r.manyExtractRSS <= 128)
        row("\(count)-file backup: pacactl restore, s", r.manyRestore, "", nil)
        row("\(count)-file snapshot: restic restore, s", r.manyResticRestore, "", nil)
        row("\(count)-file backup: pacactl restore peak RSS, MiB", r.manyRestoreRSS, "≤ 128", r.manyRestoreRSS <= 128)
        row("\(count)-file backup: pacad peak RSS serving the restore, MiB", r.manyRestorePacadRSS, "≤ 128", r.manyRestorePacadRSS <= 128)
        row("\(count)-file snapshot: restic restore peak RSS, MiB", r.manyResticRestoreRSS, "", nil)
        row("\(count)-file target: pacactl catalog rebuild, s", r.manyRebuild, "", nil)
        row(
            "\(count)-file target: pacad peak RSS during catalog rebuild, MiB", r.manyRebuildPacadRSS, "≤ 128", r.manyRebuildPacadRSS <= 128
        )
    }
}

/// A restic repository on the local disk.
struct ResticRepository {
    let path: String
    let cache: String
    let work: String
    var environment: [String: String] { ["RESTIC_PASSWORD": "pacabench"] }

    func initialize() throws {
        let made = Runner.measure("restic init -q --repo '\(path)'", in: work, environment: environment)
        guard made.status == 0 else { throw BenchError("restic init exited \(made.status)") }
    }

    func measuredBackup(_ tree: String) throws -> Measurement {
        let measured = Runner.measure(
            "restic -q --repo '\(path)' --cache-dir '\(cache)' backup '\(tree)'", in: work, environment: environment)
        guard measured.status == 0 else { throw BenchError("restic backup exited \(measured.status)") }
        return measured
    }

    func backup(_ tree: String) throws -> Double { try measuredBackup(tree).wall }
}

/// A pacad child process on a folder of its own, with a config the caller writes, waited for
/// until it answers on its socket; backups through pacactl.
struct BenchDaemon {
    let directory: String
    let pacactl: String
    let work: String
    let process: Process
    var socket: String { directory + "/pacad.sock" }
    var target: String { directory + "/backups" }

    /// pacad with one directory target `local` under `directory` and one set over `source`.
    init(directory: String, pacad: String, pacactl: String, source: String, work: String) throws {
        try self.init(
            directory: directory, pacad: pacad, pacactl: pacactl, work: work,
            targets: "  local: {type: directory, path: \(directory)/backups}", source: source)
    }

    /// pacad with the `targets:` given (YAML lines) and one set `corpus` over `source`, with the
    /// set keys in `setKeys` (`, encryption: {...}`) besides its paths.
    init(
        directory: String, pacad: String, pacactl: String, work: String, targets: String, source: String,
        environment: [String: String] = [:], setKeys: String = ""
    )
        throws
    {
        self.directory = directory
        self.pacactl = pacactl
        self.work = work
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let config = """
            state_dir: \(directory)/state
            socket: \(directory)/pacad.sock
            targets:
            \(targets)
            sets:
              corpus: {paths: [\(source)]\(setKeys)}
            """
        try config.write(toFile: directory + "/pacad.yaml", atomically: true, encoding: .utf8)
        process = Process()
        process.executableURL = URL(fileURLWithPath: pacad)
        process.arguments = ["--config", directory + "/pacad.yaml", "--log-level", "warning"]
        process.environment = ["PATH": "/usr/bin:/bin"].merging(environment) { _, new in new }
        _ = FileManager.default.createFile(atPath: directory + "/pacad.log", contents: nil)
        let log = FileHandle(forWritingAtPath: directory + "/pacad.log")
        log?.seekToEndOfFile()
        process.standardError = log
        process.standardOutput = log
        try process.run()
        for _ in 0..<200 {
            if Runner.measure("\(pacactl) status --socket \(directory)/pacad.sock", in: work).status == 0 { return }
            usleep(50_000)
        }
        process.terminate()
        throw BenchError("pacad did not start; see \(directory)/pacad.log")
    }

    /// Backs the set up through pacactl; returns the wall time. ``newestID()`` then names the backup.
    func backup(_ arguments: [String] = []) throws -> Double {
        let reply = directory + "/last-backup.json"
        let measured = Runner.measure(
            "\(pacactl) backup now --json --socket \(socket) \(arguments.joined(separator: " ")) > '\(reply)'", in: work, quiet: false)
        guard measured.status == 0 else { throw BenchError("pacad backup failed; see \(directory)/pacad.log") }
        return measured.wall
    }

    /// The id of the backup ``backup(_:)`` made last.
    func newestID() throws -> String {
        let reply = (try? Data(contentsOf: URL(fileURLWithPath: directory + "/last-backup.json"))) ?? Data()
        guard let id = ((try? JSONSerialization.jsonObject(with: reply)) as? [String: Any])?["id"] as? String else {
            throw BenchError("pacactl backup now --json named no backup")
        }
        return id
    }

    func references(of id: String) throws -> Int {
        let shown = S3Bench.capture(pacactl, ["backup", "show", id, "--json", "--socket", socket])
        let record = (try? JSONSerialization.jsonObject(with: Data(shown.utf8))) as? [String: Any]
        return (record?["references"] as? [Any])?.count ?? 0
    }

    /// The daemon's peak resident set so far (`VmHWM`), MiB.
    func peakRSSMiB() -> Double {
        let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
        let kilobytes = line.split(whereSeparator: \.isWhitespace).dropFirst().first.flatMap { Double($0) } ?? .nan
        return kilobytes / 1024
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}
