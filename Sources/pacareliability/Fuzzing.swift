import Foundation
import PacaCore
import PacaSystem

/// Runs each fuzz target over its count of seeded inputs (or one input, replayed).
struct Fuzzing {
    let options: Options
    let watchdog: Watchdog

    struct Target {
        var name: String
        var full: Int
        var note: String
        /// True when the input was accepted (parsed; for archives: verified good), false when refused.
        var body: (inout Random, Int) throws -> Bool
    }

    func targets() throws -> [Target] {
        let zip = try ZipFuzzer(work: options.work + "/zip")
        var zones: [ZoneRules] = [.utc]
        if let tzif = try? DurableFile.read("/usr/share/zoneinfo/America/New_York") {
            zones.append(try ZoneRules(tzif: tzif, name: "America/New_York"))
        }
        let cronZones = zones
        return [
            Target(
                name: "frames", full: 2_000_000,
                note:
                    "byte streams in random pieces through the frame decoder and the request decoder: valid frames come out exact, anything else is refused, the buffer stays bounded",
                body: { r, _ in try TextFuzzers.frames(&r) }),
            Target(
                name: "json", full: 1_000_000,
                note:
                    "random values round-trip; mutated text (flips, cuts, 2,000-deep nests, bad escapes) parses to a value that round-trips, or is refused",
                body: { r, _ in try TextFuzzers.json(&r) }),
            Target(
                name: "query", full: 1_000_000,
                note:
                    "token soup and random bytes: parsed filters survive their JSON form, and the compiled and plain evaluators agree on random records",
                body: { r, _ in try TextFuzzers.query(&r) }),
            Target(
                name: "cron", full: 300_000,
                note:
                    "random fields, ranges, steps, names and bytes: parsed expressions' next runs (UTC and New York) are after the start and strictly increasing",
                body: { r, _ in try TextFuzzers.cron(&r, zones: cronZones) }),
            Target(
                name: "zip", full: 100_000,
                note:
                    "pacad's and Info-ZIP's archives damaged (flips, extreme length fields, cuts, repeated spans), verified and extracted with the catalog's manifest digest: nothing outside the destination, no file or link with other than the original content, verify-good means fully restorable",
                body: { r, i in try zip.run(&r, input: i) }),
        ]
    }

    func run() throws -> [Row] {
        var rows: [Row] = []
        let names = try targets().map(\.name)
        let chosen = options.only.intersection(names)
        for target in try targets() where chosen.isEmpty || chosen.contains(target.name) {
            if let replay = options.replay {
                guard replay.name == target.name else { continue }
                var r = Random(run: options.seed, input: replay.input)
                do {
                    let accepted = try target.body(&r, replay.input)
                    log("\(target.name):\(replay.input) holds (\(accepted ? "accepted" : "refused"))")
                } catch {
                    log("\(target.name):\(replay.input): \(error)")
                }
                continue
            }
            let count = options.quick ? max(200, target.full / 20) : target.full
            var row = Row(section: "fuzz", name: target.name, tried: 0, survived: 0, lost: 0, note: target.note)
            let started = Date()
            var accepted = 0
            for input in 0..<count {
                watchdog.beat("\(target.name):\(input)")
                if input > 0 && input % (count / 10) == 0 {
                    log("fuzz \(target.name): \(input) of \(count) in \(Int(Date().timeIntervalSince(started))) s")
                }
                var r = Random(run: options.seed, input: input)
                row.tried += 1
                do {
                    if try target.body(&r, input) { accepted += 1 }
                    row.survived += 1
                } catch {
                    row.count("\(target.name):\(input)", lost: ["\(error)"], problems: [])
                }
            }
            let seconds = Date().timeIntervalSince(started)
            log(
                "fuzz \(target.name): \(row.tried) inputs in \(String(format: "%.1f", seconds)) s, \(accepted) accepted, \(row.lost) failed"
            )
            row.note += " (\(accepted * 100 / max(1, row.tried))% accepted)"
            rows.append(row)
        }
        return rows
    }
}
