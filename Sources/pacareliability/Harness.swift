import Foundation
import PacaCore
import Synchronization

/// A small deterministic random source (splitmix64). Every input of a fuzz run comes from its
/// own generator, seeded from the run's seed and the input's number, so one input can be
/// replayed alone (`--replay NAME:N`).
struct Random: RandomNumberGenerator {
    var source: SplitMix64

    init(seed: UInt64) { source = SplitMix64(seed: seed) }

    init(run seed: UInt64, input: Int) {
        self.init(seed: seed ^ (UInt64(input) &* 0xD1B5_4A32_D192_ED03))
    }

    mutating func next() -> UInt64 { source.next() }

    mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }

    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }

    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) } }

    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}

/// One row of the report: what was tried, how many came through as they should, how many lost
/// data or accepted something wrong (must be 0), and how.
struct Row {
    /// The row as a line of the Markdown table.
    var line: String { "| \(section) | \(name) | \(tried) | \(survived) | \(lost) | \(note) |" }

    var section: String
    var name: String
    var tried: Int
    var survived: Int
    var lost: Int
    var note: String
    /// Each failure, with what replays it.
    var failures: [String] = []
}

extension Row {
    /// Counts one run: it survived when nothing was lost and nothing else went wrong; the first
    /// ten failures are kept with `label` (what replays them).
    mutating func count(_ label: String, lost: [String], problems: [String]) {
        if lost.isEmpty && problems.isEmpty { survived += 1 }
        self.lost += lost.count
        for problem in lost + problems where failures.count < 10 { failures.append("\(label): \(problem)") }
    }

    /// A run that could not be carried out: it did not survive, and nothing is known lost.
    mutating func broke(_ label: String, _ error: any Error) {
        if failures.count < 10 { failures.append("\(label): \(error)") }
    }
}

/// Notices a run that stops making progress (a hang) and ends the program naming the input,
/// since a hung synchronous call cannot be interrupted from inside.
final class Watchdog: Sendable {
    private let beats = Atomic<Int>(0)
    private let current = Mutex<String>("")
    let limit: Double

    init(limit: Double) {
        self.limit = limit
        let thread = Thread { [self] in self.watch() }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Marks the start of an input (named so a hang can be replayed).
    func beat(_ what: @autoclosure () -> String) {
        current.withLock { $0 = what() }
        beats.add(1, ordering: .relaxed)
    }

    private func watch() {
        var last = -1
        var since = Date()
        while true {
            Thread.sleep(forTimeInterval: 0.5)
            let now = beats.load(ordering: .relaxed)
            if now != last {
                last = now
                since = Date()
            } else if Date().timeIntervalSince(since) > limit {
                let what = current.withLock { $0 }
                FileHandle.standardError.write(
                    Data("pacareliability: HANG: no progress for \(Int(limit)) s on \(what) (replay with --replay)\n".utf8))
                exit(3)
            }
        }
    }
}

func log(_ text: String) {
    FileHandle.standardError.write(Data("pacareliability: \(text)\n".utf8))
}

/// A property that did not hold: counted as lost, and printed with the input that shows it.
struct Violation: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
