import Foundation

/// kill -9 of a real pacad at random points of a backup, a prune, a scrub and a catalog
/// rebuild. Each run: start the operation through pacactl, kill pacad after a random delay
/// (uniform over the operation's measured length and a little past it), start pacad again and
/// check that every backup it acknowledged (pacactl got its answer) and still should keep is in
/// the catalog, complete, and restores to the exact tree it was made from. A backup that does not
/// is lost. A run survives when, in addition, pacad starts again and the backup or operation
/// works after the restart.
struct Kills {
    let options: Options
    let watchdog: Watchdog

    /// What one acknowledged backup must restore to.
    struct Acknowledged {
        var id: String
        var tree: [String: String]
    }

    final class State {
        let daemon: Daemon
        var acknowledged: [Acknowledged] = []
        var random: Random
        var generation = 0
        /// Runs whose kill came before pacactl had its answer.
        var interrupted = 0
        init(daemon: Daemon, seed: UInt64) {
            self.daemon = daemon
            random = Random(seed: seed)
        }

        /// Changes the source a little (a few files rewritten, one added), as a training run would.
        func changeSource() throws {
            generation += 1
            let folder = daemon.source
            for shard in 0..<6 {
                try FileManager.default.createDirectory(atPath: "\(folder)/shard-\(shard)", withIntermediateDirectories: true)
            }
            for index in 0..<24 where generation == 1 || random.chance(15) {
                let size = 64 << 10 + random.below(256 << 10)
                // Half noise, half text: a few hundred KiB that take deflate some work.
                var bytes = random.bytes(size / 2)
                bytes += Array(String(repeating: "step \(generation) loss 0.\(random.below(1000)) ", count: size / 48).utf8)
                try Data(bytes).write(to: URL(fileURLWithPath: "\(folder)/shard-\(index % 6)/file-\(index).bin"))
            }
            try Data("generation \(generation)\n".utf8).write(to: URL(fileURLWithPath: "\(folder)/config-\(generation).yaml"))
        }

        func snapshot() -> [String: String] { treeDigest(daemon.source) }

        /// A backup run to completion; its id is acknowledged.
        @discardableResult
        func backup() throws -> String {
            let tree = snapshot()
            let answer = daemon.ctl(["backup", "now", "--json", "--reason", "reliability"])
            guard answer.status == 0, let id = answer.json["id"] as? String else {
                throw Violation("backup now failed (\(answer.status)): \(answer.err)")
            }
            acknowledged.append(Acknowledged(id: id, tree: tree))
            return id
        }

        /// Restores `backup` and compares it with the tree it was made from.
        func restoresExactly(_ backup: Acknowledged) -> String? {
            let destination = daemon.root + "/restore"
            try? FileManager.default.removeItem(atPath: destination)
            let answer = daemon.ctl(["restore", backup.id, "--to", destination, "--json"])
            guard answer.status == 0 else { return "restore of \(backup.id) failed (\(answer.status)): \(answer.err)" }
            let restored = treeDigest(destination + "/work")
            guard restored == backup.tree else {
                let wrong =
                    Set(restored.keys).symmetricDifference(backup.tree.keys).count
                    + backup.tree.filter { restored[$0.key] != nil && restored[$0.key] != $0.value }.count
                return "restore of \(backup.id) differs from its source in \(wrong) files"
            }
            return nil
        }
    }

    struct Scenario {
        var name: String
        var full: Int
        var note: String
        /// Settings for the set (retention).
        var setExtra = ""
        /// Work before the run's operation (without kills).
        var before: (State) throws -> Void = { _ in }
        /// pacactl's arguments for the operation killed.
        var operation: (State) -> [String]
        /// Whether a finished operation acknowledges a backup (pacactl's answer has its id).
        var acknowledges = false
        /// Which acknowledged backups must still be there afterwards.
        var kept: (State) -> [Acknowledged] = { $0.acknowledged }
        /// Work after the restart, before the checks (a rebuild finishing what was killed).
        var after: (State) throws -> Void = { _ in }
    }

    static var scenarios: [Scenario] {
        [
            Scenario(
                name: "backup", full: 50,
                note:
                    "kill -9 during `pacactl backup now` (walk, compress, deliver to two targets, catalog), restart: every acknowledged backup restores exactly; the next backup succeeds",
                before: { try $0.changeSource() },
                operation: { _ in ["backup", "now", "--json", "--reason", "reliability"] },
                acknowledges: true),
            Scenario(
                name: "prune", full: 40,
                note: "6 backups, then kill -9 during `pacactl prune` (keep_last 3), restart: the 3 newest restore exactly",
                setExtra: "retention: {keep_last: 3}",
                before: { state in
                    for _ in 0..<6 {
                        try state.changeSource()
                        try state.backup()
                    }
                },
                operation: { _ in ["prune", "--json"] },
                kept: { Array($0.acknowledged.suffix(3)) }),
            Scenario(
                name: "scrub", full: 40,
                note: "kill -9 during `pacactl scrub --wait` (reads every copy on both targets), restart: every backup restores exactly",
                before: { state in
                    try state.changeSource()
                    try state.backup()
                },
                operation: { _ in ["scrub", "--wait", "--json"] }),
            Scenario(
                name: "rebuild", full: 40,
                note:
                    "catalog deleted, kill -9 during `pacactl catalog rebuild`, restart, rebuild again: every backup on the target is cataloged again and restores exactly",
                before: { state in
                    try state.changeSource()
                    try state.backup()
                    state.daemon.stop()
                    for name in ["catalog.sqlite", "catalog.sqlite-wal", "catalog.sqlite-shm"] {
                        try? FileManager.default.removeItem(atPath: state.daemon.root + "/state/" + name)
                    }
                    try? FileManager.default.removeItem(atPath: state.daemon.root + "/state/index")
                    try state.daemon.start()
                },
                operation: { _ in ["catalog", "rebuild", "--target", "local", "--json"] },
                after: { state in
                    let answer = state.daemon.ctl(["catalog", "rebuild", "--target", "local", "--json"])
                    guard answer.status == 0 else {
                        throw Violation("the rebuild after the restart failed (\(answer.status)): \(answer.err)")
                    }
                }),
        ]
    }

    func run() -> [Row] {
        var rows: [Row] = []
        for (number, scenario) in Self.scenarios.enumerated() {
            let runs = options.quick ? 3 : scenario.full
            var row = Row(section: "kill -9", name: scenario.name, tried: 0, survived: 0, lost: 0, note: scenario.note)
            do {
                let daemon = try Daemon(
                    root: options.work + "/kill-" + scenario.name, binaries: options.binaries, setExtra: scenario.setExtra)
                let state = State(daemon: daemon, seed: options.seed &+ UInt64(number))
                try daemon.start()
                // Calibrate: one undisturbed operation gives the window the kills are spread over.
                try scenario.before(state)
                let started = Date()
                let first = daemon.ctl(scenario.operation(state))
                let length = max(0.05, Date().timeIntervalSince(started))
                if scenario.acknowledges, first.status == 0, let id = first.json["id"] as? String {
                    state.acknowledged.append(Acknowledged(id: id, tree: state.snapshot()))
                }
                log("kill -9 \(scenario.name): the operation takes \(String(format: "%.2f", length)) s; \(runs) runs")
                for run in 0..<runs {
                    watchdog.beat("kill \(scenario.name) run \(run)")
                    row.tried += 1
                    do {
                        let (lost, problems) = try killOnce(scenario, state: state, window: length * 1.3, run: run)
                        row.count("kill \(scenario.name) run \(run)", lost: lost, problems: problems)
                    } catch {
                        row.broke("kill \(scenario.name) run \(run)", error)
                        if daemon.process == nil { try? daemon.start() }
                    }
                }
                daemon.stop()
                row.note += " (\(state.interrupted) of \(runs) killed before the answer)"
            } catch {
                row.failures.append("kill \(scenario.name): could not set up: \(error)")
                row.tried += 1
            }
            rows.append(row)
        }
        return rows
    }

    /// One run: the operation, a kill after a random delay, a restart and the checks. Returns
    /// what was lost, and what else went wrong (the run did not survive, but lost nothing).
    func killOnce(_ scenario: Scenario, state: State, window: Double, run: Int) throws -> (lost: [String], problems: [String]) {
        let daemon = state.daemon
        try scenario.before(state)
        let tree = state.snapshot()
        let delay = Double(state.random.below(1000)) / 1000 * window
        let (_, finish) = try daemon.startCtl(scenario.operation(state))
        Thread.sleep(forTimeInterval: delay)
        daemon.kill9()
        let answer = finish()
        if answer.status != 0 { state.interrupted += 1 }
        if scenario.acknowledges, answer.status == 0, let id = answer.json["id"] as? String {
            state.acknowledged.append(Acknowledged(id: id, tree: tree))
        }
        try daemon.start()
        try scenario.after(state)
        var lost: [String] = []
        let listed = Dictionary(try daemon.backups().map { ($0["id"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        let kept = scenario.kept(state)
        for backup in kept {
            guard let record = listed[backup.id] else {
                lost.append("acknowledged backup \(backup.id) is not in the catalog")
                continue
            }
            // A rebuilt record is unverified until a verify passes; its bytes are the same.
            guard ["complete", "unverified"].contains(record["status"] as? String ?? "") else {
                lost.append("acknowledged backup \(backup.id) is \(record["status"] ?? "?") in the catalog")
                continue
            }
        }
        // Restoring is the proof: the newest acknowledged backup and one other, chosen at random.
        var checked = kept.suffix(1).map { $0 }
        if kept.count > 1 { checked.append(kept[state.random.below(kept.count - 1)]) }
        for backup in checked where listed[backup.id] != nil {
            if let problem = state.restoresExactly(backup) { lost.append(problem) }
        }
        // The daemon works after the restart: a new backup completes.
        var problems: [String] = []
        if scenario.name == "backup" {
            try state.changeSource()
            do { try state.backup() } catch { problems.append("after the restart: \(error)") }
        }
        // Keep the run's cost flat: only the newest few backups are checked again later.
        if scenario.name != "prune" && state.acknowledged.count > 8 {
            state.acknowledged.removeFirst(state.acknowledged.count - 8)
        }
        return (lost, problems)
    }
}
