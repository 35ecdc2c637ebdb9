import Foundation

/// Failing system calls inside a real pacad (a debug build: see PacaSystem's FaultInjection):
/// EIO while reading the sources, ENOSPC while writing one target, EIO while reading archives
/// for a restore. Each run restarts pacad with the fault placed after a random number of
/// matching calls, so the failure lands at a different point every time. What must hold:
/// whatever pacad calls complete restores exactly; a partial backup lists what it missed and
/// the rest restores exactly; no restore writes a file with wrong content; earlier backups stay
/// restorable; and pacad works again once the fault is gone.
struct Faults {
    let options: Options
    let watchdog: Watchdog

    struct Scenario {
        var name: String
        var full: Int
        var note: String
        /// The PACA_FAULT_INJECTION rule for a run, given a random number.
        var rule: (Int) -> String
        /// Whether the fault is in the backup (otherwise in the restore after it).
        var duringBackup: Bool
        /// Instead of a system call failing: the first target's folder removed while the backup runs.
        var removesTarget = false
    }

    static var scenarios: [Scenario] {
        [
            Scenario(
                name: "EIO reading sources", full: 40,
                note:
                    "read() of a source file fails with EIO once, after 0-9 reads: the backup is partial and names the file, or complete when the fault missed; every file it holds restores exactly",
                rule: { "read,pread:EIO:/source/work/:\($0 % 10):1" }, duringBackup: true),
            Scenario(
                name: "ENOSPC writing a target", full: 40,
                note:
                    "every write() to one of two directory targets fails with ENOSPC after 0-2 writes (a full disk): an acknowledged backup restores exactly from the other target, earlier ones too",
                rule: { "write,pwrite:ENOSPC:/t1/:\($0 % 3):0" }, duringBackup: true),
            Scenario(
                name: "EIO reading archives", full: 40,
                note:
                    "pread() of the first target's archives fails with EIO during a restore (after 0-7 reads, then always): the restore reads the same ranges from the second target's copy and succeeds exactly",
                rule: { "read,pread:EIO:/t1/:\($0 % 8):0" }, duringBackup: false),
            Scenario(
                name: "target removed mid-backup", full: 40,
                note:
                    "the first target's folder deleted (`rm -rf`, a disk pulled) at a random point of the backup: the backup completes on the second target and restores exactly, earlier ones too; pacad never recreates the folder (until `pacactl target init`)",
                rule: { _ in "" }, duringBackup: true, removesTarget: true),
        ]
    }

    func run() -> [Row] {
        var rows: [Row] = []
        for (number, scenario) in Self.scenarios.enumerated() {
            let runs = options.quick ? 4 : scenario.full
            var row = Row(section: "faults", name: scenario.name, tried: 0, survived: 0, lost: 0, note: scenario.note)
            var outcomes: [String: Int] = [:]
            do {
                let daemon = try Daemon(root: options.work + "/fault-\(number)", binaries: options.binaries)
                let state = Kills.State(daemon: daemon, seed: options.seed &+ 100 &+ UInt64(number))
                try daemon.start()
                try state.changeSource()
                try state.backup()
                daemon.stop()
                for run in 0..<runs {
                    watchdog.beat("fault \(scenario.name) run \(run)")
                    row.tried += 1
                    do {
                        let (outcome, lost, problems) = try faultOnce(scenario, state: state, value: state.random.below(1_000_000))
                        outcomes[outcome, default: 0] += 1
                        row.count("fault \(scenario.name) run \(run)", lost: lost, problems: problems)
                    } catch {
                        row.broke("fault \(scenario.name) run \(run)", error)
                        daemon.stop()
                    }
                }
            } catch {
                row.tried += 1
                row.failures.append("fault \(scenario.name): could not set up: \(error)")
            }
            row.note += " (" + outcomes.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ") + ")"
            rows.append(row)
        }
        return rows
    }

    /// One run; returns how it ended (for the note), what was lost and what else went wrong.
    func faultOnce(_ scenario: Scenario, state: Kills.State, value: Int) throws -> (String, [String], [String]) {
        let daemon = state.daemon
        var lost: [String] = []
        var problems: [String] = []
        var outcome = ""
        let fault = ["PACA_FAULT_INJECTION": scenario.rule(value)]
        try state.changeSource()
        let tree = state.snapshot()
        if scenario.duringBackup {
            try daemon.start(environment: scenario.removesTarget ? [:] : fault)
            let (_, finish) = try daemon.startCtl(["backup", "now", "--json", "--reason", "fault"])
            let targetRoot = daemon.root + "/t1"
            if scenario.removesTarget {
                Thread.sleep(forTimeInterval: Double(value % 300) / 1000)
                try? FileManager.default.removeItem(atPath: targetRoot)
            }
            let answer = finish()
            if scenario.removesTarget {
                // A later backup must not write there either: the folder stays gone.
                try state.changeSource()
                let next = daemon.ctl(["backup", "now", "--json", "--reason", "after removal"])
                if FileManager.default.fileExists(atPath: targetRoot) {
                    lost.append("pacad recreated the removed target folder \(targetRoot)")
                }
                if next.status == 0, let id = next.json["id"] as? String {
                    state.acknowledged.append(Kills.Acknowledged(id: id, tree: state.snapshot()))
                }
                // The disk is back: an operator adopts the new folder on purpose.
                try FileManager.default.createDirectory(atPath: targetRoot, withIntermediateDirectories: true)
                let adopted = daemon.ctl(["target", "init", "local", "--json"])
                if adopted.status != 0 { problems.append("target init after the removal failed: \(adopted.err)") }
            }
            let id = answer.json["id"] as? String
            outcome = answer.status == 0 ? "complete" : (answer.json["status"] as? String ?? "failed")
            let deliveries = answer.json["deliveries"] as? [[String: Any]] ?? []
            if deliveries.contains(where: { $0["status"] as? String != "ok" }) { outcome += " with a delivery failed" }
            daemon.stop()
            try daemon.start()
            if let id, answer.status == 0 {
                state.acknowledged.append(Kills.Acknowledged(id: id, tree: tree))
                if let problem = state.restoresExactly(state.acknowledged.last!) { lost.append(problem) }
            } else if let id, outcome.hasPrefix("partial") {
                // What it could not read is listed; everything else restores exactly.
                let unreadable = Set((answer.json["unreadable"] as? [Any] ?? []).map { "\($0)" })
                if unreadable.isEmpty { lost.append("partial backup \(id) lists nothing unreadable") }
                let restored = restore(id, daemon: daemon)
                for (name, digest) in tree where restored.files[name] != nil && restored.files[name] != digest {
                    lost.append("partial backup \(id) restored \(name) with wrong content")
                }
                let missing = tree.keys.filter { restored.files[$0] == nil }
                for name in missing where !unreadable.contains(where: { $0.contains("/" + name + ": ") }) {
                    lost.append("partial backup \(id) lacks \(name), which it does not list as unreadable")
                }
            }
        } else {
            try daemon.start()
            try state.backup()
            daemon.stop()
            try daemon.start(environment: fault)
            let newest = state.acknowledged.last!
            let restored = restore(newest.id, daemon: daemon)
            outcome = restored.status == 0 ? "restored" : "refused"
            for (name, digest) in restored.files where newest.tree[name] != digest {
                lost.append("restore of \(newest.id) wrote \(name) with wrong content")
            }
            if restored.status == 0 && restored.files != newest.tree { lost.append("restore of \(newest.id) succeeded but is incomplete") }
            if restored.status != 0 { problems.append("restore of \(newest.id) failed although the second target's copy is good") }
            daemon.stop()
            try daemon.start()
        }
        // Without the fault: earlier backups restore exactly, and a new backup completes.
        if state.acknowledged.count > 1, let problem = state.restoresExactly(state.acknowledged[state.acknowledged.count - 2]) {
            lost.append(problem)
        }
        try state.changeSource()
        do { try state.backup() } catch { problems.append("after the fault: \(error)") }
        daemon.stop()
        if state.acknowledged.count > 8 { state.acknowledged.removeFirst(state.acknowledged.count - 8) }
        return (outcome, lost, problems)
    }

    /// Restores `id` into a fresh folder: pacactl's status and the restored files' digests.
    func restore(_ id: String, daemon: Daemon) -> (status: Int32, files: [String: String]) {
        let destination = daemon.root + "/restore"
        try? FileManager.default.removeItem(atPath: destination)
        let answer = daemon.ctl(["restore", id, "--to", destination, "--json"])
        return (answer.status, treeDigest(destination + "/work"))
    }
}
