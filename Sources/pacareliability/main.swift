import Foundation
import PacaCore

// pacareliability: the reliability suite (docs/reliability.md). Seeded fuzzers of everything that
// reads outside input, faults injected into a real pacad, kill -9 at random points of its work,
// and a table of tried / survived / lost. `make reliability` runs it in full (millions of inputs,
// too long for CI); `make test` runs it with --quick (the same code, fewer inputs and runs).
// Exit status: 0 when every row lost nothing, 1 when one did, 3 on a hang.

struct Options {
    var quick = false
    var seed: UInt64 = 20_261_205
    var only: Set<String> = []
    var replay: (name: String, input: Int)?
    var work = ".build/reliability"
    var proxyScript = "packaging/testing/s3-fault-proxy.py"
    var binaries = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path

    init(_ arguments: [String]) {
        var i = 1
        func value() -> String {
            i += 1
            guard i < arguments.count else { Self.usage("\(arguments[i - 1]) needs a value") }
            return arguments[i]
        }
        while i < arguments.count {
            switch arguments[i] {
            case "--quick": quick = true
            case "--seed": seed = UInt64(value()) ?? { Self.usage("--seed takes a number") }()
            case "--only": only = Set(value().split(separator: ",").map(String.init))
            case "--work": work = value()
            case "--binaries": binaries = value()
            case "--s3-proxy-script": proxyScript = value()
            case "--replay":
                let text = value()
                guard let colon = text.lastIndex(of: ":"), let n = Int(text[text.index(after: colon)...]) else {
                    Self.usage("--replay takes NAME:INPUT, as a failure prints it")
                }
                replay = (String(text[..<colon]), n)
            default: Self.usage("unknown option \(arguments[i])")
            }
            i += 1
        }
        work = URL(fileURLWithPath: work).standardizedFileURL.path
    }

    static func usage(_ problem: String) -> Never {
        FileHandle.standardError.write(
            Data(
                "pacareliability: \(problem)\nusage: pacareliability [--quick] [--seed N] [--only fuzz,faults,bursts,kill,scale] [--replay NAME:N] [--work DIR] [--binaries DIR] [--s3-proxy-script PATH]\n"
                    .utf8))
        exit(2)
    }

    /// Whether `section` runs: all do without --only; a fuzz target's name (`--only zip`) runs the fuzz section.
    func runs(_ section: String) -> Bool {
        only.isEmpty || only.contains(section) || section == "fuzz" && !only.isDisjoint(with: ["frames", "json", "query", "cron", "zip"])
    }
}

let options = Options(CommandLine.arguments)
let watchdog = Watchdog(limit: 300)
var rows: [Row] = []
var logged = 0

/// Rows finished so far go to standard error at once: a later hang (exit 3) does not lose them.
@MainActor func logRows() {
    for row in rows[logged...] { log("row: " + row.line) }
    logged = rows.count
}

if options.runs("fuzz") || options.replay != nil {
    rows += try Fuzzing(options: options, watchdog: watchdog).run()
    logRows()
}

if options.runs("faults") && options.replay == nil {
    rows += Faults(options: options, watchdog: watchdog).run()
    logRows()
}

if (options.runs("faults") || options.only.contains("bursts")) && options.replay == nil {
    rows += await Bursts(options: options, watchdog: watchdog).run()
    logRows()
}

if options.runs("kill") && options.replay == nil {
    rows += Kills(options: options, watchdog: watchdog).run()
    logRows()
}

if options.runs("scale") && options.replay == nil {
    rows += Scale(options: options, watchdog: watchdog).run()
    logRows()
}

print("\n| section | what | tried | survived | lost | how |")
print("|---|---|---:|---:|---:|---|")
for row in rows { print(row.line) }
let failures = rows.flatMap(\.failures)
for failure in failures.prefix(40) { print("FAILED: \(failure)") }
let lost = rows.reduce(0) { $0 + $1.lost }
let failed = rows.reduce(0) { $0 + $1.tried - $1.survived }
print(
    "\nseed \(options.seed)\(options.quick ? ", quick" : ""): \(lost == 0 ? "nothing lost" : "\(lost) LOST"), \(failed) of \(rows.reduce(0) { $0 + $1.tried }) did not survive"
)
exit(lost == 0 && failed == 0 ? 0 : 1)
