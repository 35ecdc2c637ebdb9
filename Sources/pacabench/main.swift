import Foundation
import PacaAge

// pacabench: builds the deterministic corpus (../shared/bench/make-corpus.sh), then backs it up,
// restores it and checks it with pacactl and its peers, side by side in one run, and prints one
// table of medians plus the issue's targets. `make bench` runs it.

struct Options {
    var work = ".build/bench"
    var corpusScript = "../shared/bench/make-corpus.sh"
    var pacactl = ".build/release/pacactl"
    var pacad = ".build/release/pacad"
    var scale = "1.0"
    var runs = 3
    var only: Set<String> = []
    /// Where restores go. Default: tmpfs, because on ext4 a tree created right after another was
    /// deleted pays for the inode allocator skipping recently freed inodes (seconds, in whichever
    /// tool comes next), which would measure the order of the tools rather than the tools.
    var restoreDirectory = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm/pacabench-restore" : ""
    var seaweedScript = "packaging/testing/seaweedfs.sh"
    /// The Python client (packaging/python), for the checkpoint capture rows.
    var pythonClient = "packaging/python"
    /// Files in the many-small-files rows of the incremental table.
    var smallFiles = 1_000_000

    init(_ arguments: [String]) {
        var i = 1
        func value() -> String {
            i += 1
            guard i < arguments.count else { fatalError("\(arguments[i - 1]) needs a value") }
            return arguments[i]
        }
        while i < arguments.count {
            switch arguments[i] {
            case "--work": work = value()
            case "--corpus-script": corpusScript = value()
            case "--pacactl": pacactl = value()
            case "--pacad": pacad = value()
            case "--scale": scale = value()
            case "--runs": runs = Int(value()) ?? 3
            case "--only": only = Set(value().split(separator: ",").map(String.init))
            case "--restore-dir": restoreDirectory = value()
            case "--seaweedfs-script": seaweedScript = value()
            case "--python-client": pythonClient = value()
            case "--small-files": smallFiles = max(1000, Int(value()) ?? 1_000_000)
            default:
                FileHandle.standardError.write(
                    Data(
                        "usage: pacabench [--work DIR] [--corpus-script PATH] [--pacactl PATH] [--pacad PATH] [--scale F] [--runs N] [--only NAME,...] [--restore-dir DIR] [--seaweedfs-script PATH] [--python-client DIR]\n"
                            .utf8))
                exit(2)
            }
            i += 1
        }
    }
}

// A child run of one record store (see DataBench): `pacabench data-store KIND DIR COUNT`.
if CommandLine.arguments.count == 5, CommandLine.arguments[1] == "data-store" {
    await DataBench.child(
        kind: CommandLine.arguments[2], directory: CommandLine.arguments[3], count: Int(CommandLine.arguments[4]) ?? 100_000)
    exit(0)
}

let options = Options(CommandLine.arguments)
let fm = FileManager.default
let work = URL(fileURLWithPath: options.work).standardizedFileURL.path

// 0. The daemon's rows first (seconds, not minutes); `--only daemon` stops after them.
log("daemon: start-to-READY, idle RSS, daemon.status round trips")
let daemonResults = DaemonBench(
    pacad: URL(fileURLWithPath: options.pacad).standardizedFileURL.path, directory: work + "/daemon", starts: 10, calls: 10_000
).run()
func printDaemonTable() {
    let d = daemonResults
    print("\n| daemon (pacad, embedded default) | measured | limit | met |")
    print("|---|---|---|---|")
    func row(_ label: String, _ value: Double, _ limit: Double) {
        print("| \(label) | \(String(format: "%.3f", value)) | ≤ \(String(format: "%g", limit)) | \(value <= limit ? "yes" : "NO") |")
    }
    row("daemon.status round trip, median ms (\(d.statusMilliseconds.count) calls, one connection)", d.statusMilliseconds.median, 0.5)
    row("daemon.status round trip, p99 ms", d.statusMilliseconds.percentile(0.99), 2)
    row("idle RSS, MiB (median of \(d.idleRSSMiB.count) starts)", d.idleRSSMiB.median, 20)
    print("| of which anonymous (heap, stacks), MiB | \(String(format: "%.3f", d.idleAnonMiB.median)) | | |")
    print("| readahead of the disk pacad is on, KiB (the idle RSS grows with it) | \(d.readaheadKiB.map(String.init) ?? "unknown") | | |")
    row("start to READY=1, median ms (\(d.readyMilliseconds.count) starts)", d.readyMilliseconds.median, 100)
}
log("cron: next-fire computations")
let cronRate = CronBench.run()
func printCronTable() {
    print("\n| scheduler | measured | limit | met |")
    print("|---|---|---|---|")
    let rate = cronRate / 1e6
    let idle = daemonResults.idleCPUSeconds
    print(
        "| pacad CPU while idle with 1,000 jobs, seconds in \(Int(daemonResults.idleSeconds)) s (the kernel counts in 0.01 s ticks) | \(String(format: "%.2f", idle)) | 0 | \(idle < 0.005 ? "yes" : "NO") |"
    )
    print(
        "| cron next-fire computations, millions per second (\(CronBench.expressions.count) expressions) | \(String(format: "%.2f", rate)) | ≥ 1 | \(rate >= 1 ? "yes" : "NO") |"
    )
}
var dataResults: [DataBench.Result] = []
if options.only.isEmpty || options.only.contains("data") {
    log("record stores: 100,000 records into memory, file and SQLite, then queries")
    let executable = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
    dataResults = DataBench.run(executable: executable, work: work, count: 100_000)
}
if !options.only.isEmpty && options.only.isSubset(of: ["daemon", "data"]) {
    printDaemonTable()
    printCronTable()
    if !dataResults.isEmpty { DataBench.printTable(dataResults) }
    exit(0)
}
let outRoot = work + "/out"
/// This step's output directory: a fresh one per tool and run. Outputs are deleted only at the
/// end, because deleting gigabytes on this ext4 (mounted with `discard`) slows down whatever writes
/// next, which would charge one tool for another's cleanup.
nonisolated(unsafe) var out = outRoot
let restore = options.restoreDirectory.isEmpty ? work + "/restore" : options.restoreDirectory
try? fm.createDirectory(atPath: work, withIntermediateDirectories: true)

// 1. The corpus, made once per scale and reused (it is a pure function of seed and scale).
let corpus = work + "/corpus"
let marker = work + "/corpus.scale"
if (try? String(contentsOfFile: marker, encoding: .utf8)) != options.scale {
    try? fm.removeItem(atPath: corpus)
    log("making the corpus (scale \(options.scale))...")
    Runner.setup("bash '\(options.corpusScript)' synth '\(corpus)' --scale \(options.scale)", in: work)
    try options.scale.write(toFile: marker, atomically: true, encoding: .utf8)
}
let corpusBytes = Double(directorySize(corpus))

func log(_ text: String) { FileHandle.standardError.write(Data("pacabench: \(text)\n".utf8)) }

func directorySize(_ path: String) -> UInt64 {
    var total: UInt64 = 0
    var info = stat()
    if lstat(path, &info) == 0, info.st_mode & S_IFMT != S_IFDIR { return UInt64(info.st_size) }
    guard let e = fm.enumerator(atPath: path) else { return 0 }
    while let name = e.nextObject() as? String {
        if lstat(path + "/" + name, &info) == 0, info.st_mode & S_IFMT == S_IFREG { total += UInt64(info.st_size) }
    }
    return total
}

func substitute(_ text: String) -> String {
    text.replacingOccurrences(of: "{corpus}", with: "corpus").replacingOccurrences(of: "{out}", with: out)
        .replacingOccurrences(of: "{restore}", with: restore)
}

func clean(_ path: String) {
    _ = Runner.measure("sh -c \"chmod -R u+rwx '\(path)' 2>/dev/null; rm -rf '\(path)'\"", in: work)
}

clean(outRoot)
Runner.setup("sync", in: work)

/// Every measured step starts from the same state: no dirty pages left by the step before, the
/// page cache emptied (when running as root) so that gigabytes written by earlier tools do not
/// make this one pay for reclaim, and then only this step's input read back in (warm cache).
let canDropCaches = access("/proc/sys/vm/drop_caches", W_OK) == 0
if !canDropCaches { log("not root: page cache is not dropped between steps; numbers will drift with the order of tools") }
func prepareStep(warming input: String) {
    Runner.setup("sync", in: work)
    if canDropCaches { Runner.setup("sh -c 'echo 1 > /proc/sys/vm/drop_caches'", in: work) }
    Runner.setup("sh -c \"find '\(input)' -type f -print0 | xargs -0 -r cat > /dev/null\"", in: work)
}

/// The incremental rows (incremental issue).
func runIncrementalBench() throws -> IncrementalBench.Results {
    try IncrementalBench(
        work: work, corpus: work + "/corpus", corpusScript: URL(fileURLWithPath: options.corpusScript).standardizedFileURL.path,
        pacad: URL(fileURLWithPath: options.pacad).standardizedFileURL.path,
        pacactl: URL(fileURLWithPath: options.pacactl).standardizedFileURL.path, restoreDirectory: restore, runs: options.runs,
        smallFiles: options.smallFiles
    ).run()
}
if options.only == ["incremental"] {
    IncrementalBench.printTable(try runIncrementalBench())
    exit(0)
}

/// The checkpoint capture rows (training issue).
func runCaptureBench() throws -> CaptureBench.Results {
    try CaptureBench(
        work: work, pacad: URL(fileURLWithPath: options.pacad).standardizedFileURL.path,
        pacactl: URL(fileURLWithPath: options.pacactl).standardizedFileURL.path,
        pythonClient: URL(fileURLWithPath: options.pythonClient).standardizedFileURL.path, runs: options.runs
    ).run()
}
if options.only == ["capture"] {
    CaptureBench.printTable(try runCaptureBench())
    exit(0)
}
func runDashboardBench() async throws -> (rows: [DashboardBench.Row], buildSeconds: Double?, indexBytes: UInt64) {
    try await DashboardBench(
        work: work, pacad: URL(fileURLWithPath: options.pacad).standardizedFileURL.path,
        pacactl: URL(fileURLWithPath: options.pacactl).standardizedFileURL.path, requests: 20
    ).run()
}
if options.only == ["dashboard"] {
    DashboardBench.printTable(try await runDashboardBench(), requests: 20)
    exit(0)
}

// 2. Warm the page cache and take the floor rows: reading everything, and one-core compression.
log("warming the page cache")
var rows: [(String, [String])] = []
var readWall: [Double] = []
for _ in 0..<options.runs {
    readWall.append(Runner.measure("sh -c 'find corpus -type f -print0 | xargs -0 cat > /dev/null'", in: work).wall)
}

struct Result {
    var backup: [Measurement] = []
    var restore: [Measurement] = []
    var check: [Measurement] = []
    var size: UInt64 = 0
}

var results: [String: Result] = [:]
var order: [String] = []
var contenders = Contender.all(pacactl: options.pacactl)
contenders.insert(
    Contender(
        name: "pacactl, 1 thread",
        backup: "\(options.pacactl) archive create --threads 1 {out}/p1.zip {corpus}",
        restore: "\(options.pacactl) archive extract --threads 1 {out}/p1.zip --to {restore}",
        check: "\(options.pacactl) archive verify --threads 1 {out}/p1.zip",
        output: "{out}/p1.zip"), at: 1)
// The encryption issue's rows: the same archive sealed with age to a key made for this run.
let benchKey = work + "/bench-identity.txt"
let benchIdentity = AgeIdentity.generate()
_ = fm.createFile(
    atPath: benchKey, contents: Data((benchIdentity.fileText(created: "pacabench") ?? "").utf8), attributes: [.posixPermissions: 0o600])
contenders.insert(
    Contender(
        name: "pacactl archive sealed",
        backup: "\(options.pacactl) archive create {out}/p.zip.age {corpus} --recipient \(benchIdentity.recipient?.text ?? "")",
        restore: "\(options.pacactl) archive extract {out}/p.zip.age --to {restore} --identity \(benchKey)",
        check: "\(options.pacactl) archive verify {out}/p.zip.age --identity \(benchKey)",
        output: "{out}/p.zip.age"), at: 1)

// 3. Each contender, round-robin across runs so that slow drifts in machine load hit every tool alike.
for run in 1...options.runs {
    for contender in contenders where options.only.isEmpty || options.only.contains(contender.name) {
        log("run \(run)/\(options.runs): \(contender.name)")
        var environment: [String: String] = [:]
        for (key, value) in contender.environment { environment[key] = substitute(value) }
        out = "\(outRoot)/run\(run)-\(contender.name.filter { $0.isLetter || $0.isNumber })"
        clean(restore)
        try fm.createDirectory(atPath: out, withIntermediateDirectories: true)
        if let prepare = contender.prepare { Runner.setup(substitute(prepare), in: work, environment: environment) }
        var result = results[contender.name] ?? Result()
        if results[contender.name] == nil { order.append(contender.name) }
        prepareStep(warming: "corpus")
        let backup = Runner.measure(substitute(contender.backup), in: work, environment: environment)
        guard backup.status == 0 else {
            log("\(contender.name) backup failed with status \(backup.status)")
            exit(1)
        }
        result.backup.append(backup)
        result.size = directorySize(substitute(contender.output))
        prepareStep(warming: substitute(contender.output))
        let restored = Runner.measure(substitute(contender.restore), in: work, environment: environment)
        if restored.status != 0 { log("\(contender.name) restore exited \(restored.status)") }
        result.restore.append(restored)
        prepareStep(warming: substitute(contender.output))
        let checked = Runner.measure(substitute(contender.check), in: work, environment: environment)
        if checked.status != 0 { log("\(contender.name) check exited \(checked.status)") }
        result.check.append(checked)
        results[contender.name] = result
    }
}
clean(outRoot)
clean(restore)

// 4. The S3 rows (targets issue): pacad to a SeaweedFS bucket against restic, and catalog rebuild.
var s3Results: S3Bench.Results?
if options.only.isEmpty || options.only.contains("s3") {
    s3Results = try await S3Bench(
        work: work, corpus: work + "/corpus", pacad: URL(fileURLWithPath: options.pacad).standardizedFileURL.path,
        pacactl: URL(fileURLWithPath: options.pacactl).standardizedFileURL.path,
        seaweedScript: URL(fileURLWithPath: options.seaweedScript).standardizedFileURL.path, runs: options.runs
    ).run()
}

// 5. The incremental rows (incremental issue): pacad against restic, second and unchanged backups.
var incrementalResults: IncrementalBench.Results?
if options.only.isEmpty || options.only.contains("incremental") {
    incrementalResults = try runIncrementalBench()
}

// 5b. The encryption rows through pacad (encryption issue): sealed against clear, full backups and restores.
var encryptionResults: EncryptionBench.Results?
if options.only.isEmpty || options.only.contains("encryption") {
    encryptionResults = try EncryptionBench(
        work: work, corpus: work + "/corpus", pacad: URL(fileURLWithPath: options.pacad).standardizedFileURL.path,
        pacactl: URL(fileURLWithPath: options.pacactl).standardizedFileURL.path, runs: options.runs
    ).run()
}

// 5c. The checkpoint capture rows.
var captureResults: CaptureBench.Results?
if options.only.isEmpty || options.only.contains("capture") {
    captureResults = try runCaptureBench()
}

// 5d. The dashboard rows.
var dashboardResults: (rows: [DashboardBench.Row], buildSeconds: Double?, indexBytes: UInt64)?
if options.only.isEmpty || options.only.contains("dashboard") {
    dashboardResults = try await runDashboardBench()
}

// 6. The table.
func f(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }
print("Corpus: \(corpus) (scale \(options.scale), \(f(corpusBytes / 1e6, 0)) MB), \(options.runs) runs each, medians; page cache warm;")
print(
    "Before every measured step: `sync`, \(canDropCaches ? "page cache dropped, " : "")its input read back into the cache; restores into \(restore).\n"
)
print(
    "| tool | backup wall s | backup CPU s | backup peak RSS MiB | output MB | restore wall s | restore peak RSS MiB | check wall s | check peak RSS MiB |"
)
print("|---|---|---|---|---|---|---|---|---|")
print("| read every file (`cat`) | \(f(readWall.median, 2)) | | | | | | | |")
for name in order {
    let r = results[name]!
    let row = [
        f(r.backup.map(\.wall).median, 2), f(r.backup.map(\.cpu).median, 2), f(r.backup.map(\.peakRSS).median),
        f(Double(r.size) / 1e6), f(r.restore.map(\.wall).median, 2), f(r.restore.map(\.peakRSS).median),
        f(r.check.map(\.wall).median, 2), f(r.check.map(\.peakRSS).median),
    ]
    print("| \(name) | " + row.joined(separator: " | ") + " |")
}

// 7. The targets from the archive-engine issue, as ratios taken in this run.
let finalResults = results
func wall(_ name: String, _ keyPath: KeyPath<Result, [Measurement]>) -> Double? {
    finalResults[name].map { $0[keyPath: keyPath].map(\.wall).median }
}
print("\n| target | measured | limit | met |")
print("|---|---|---|---|")
func target(_ label: String, _ value: Double?, _ limit: Double, atMost: Bool) {
    guard let value else { return }
    let met = atMost ? value <= limit : value >= limit
    print("| \(label) | \(f(value, 2)) | \(atMost ? "≤" : "≥") \(f(limit, 2)) | \(met ? "yes" : "NO") |")
}
let ours = "pacactl archive"
if let p = wall(ours, \.backup) {
    target("backup wall / restic", wall("restic backup", \.backup).map { p / $0 }, 0.7, atMost: true)
    target("backup wall / zip -6", wall("zip -r -6", \.backup).map { p / $0 }, 0.25, atMost: true)
}
if let ourSize = results[ours]?.size, let zipSize = results["zip -r -6"]?.size {
    target("archive size / zip -6", Double(ourSize) / Double(zipSize), 1.03, atMost: true)
}
if let p = wall(ours, \.restore), let u = wall("zip -r -6", \.restore) { target("unzip time / our extract time", u / p, 2, atMost: false) }
if let p = wall(ours, \.check), let u = wall("zip -r -6", \.check) { target("unzip -t time / our verify time", u / p, 2, atMost: false) }
if let sealed = wall("pacactl archive sealed", \.backup), let plain = wall(ours, \.backup) {
    target("sealed create wall / plain create wall", sealed / plain, 1.15, atMost: true)
}
if let sealed = wall("pacactl archive sealed", \.restore), let plain = wall(ours, \.restore) {
    target("sealed extract wall / plain extract wall", sealed / plain, 1.15, atMost: true)
}
if let r = results[ours] {
    let peak = (r.backup + r.restore + r.check).map(\.peakRSS).max() ?? 0
    target("our peak RSS, MiB (whole run)", peak, 64, atMost: true)
}
printDaemonTable()
printCronTable()
if !dataResults.isEmpty { DataBench.printTable(dataResults) }
if let s3Results { S3Bench.printTable(s3Results) }
if let incrementalResults { IncrementalBench.printTable(incrementalResults) }
if let encryptionResults { EncryptionBench.printTable(encryptionResults) }
if let captureResults { CaptureBench.printTable(captureResults) }
if let dashboardResults { DashboardBench.printTable(dashboardResults, requests: 20) }
