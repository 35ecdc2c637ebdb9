import Foundation
public import Logging
import PacaSystem
public import Testing

/// Compressible but not trivial bytes: text-like noise from a fixed seed.
public func noise(_ count: Int, seed: UInt64 = 42) -> [UInt8] {
    var state = seed
    let alphabet = Array("abcdefghijklmnop qrstuvwxyz0123456789\n".utf8)
    return (0..<count).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return alphabet[Int(state >> 59) % alphabet.count]
    }
}

/// Bytes that do not compress, from a seeded generator so a failure can be replayed.
public func randomBytes(_ count: Int, seed: UInt64 = 7) -> [UInt8] {
    var generator = SeededRandom(seed: seed)
    var bytes: [UInt8] = []
    bytes.reserveCapacity(count + 8)
    while bytes.count < count { withUnsafeBytes(of: generator.next()) { bytes += $0 } }
    return Array(bytes.prefix(count))
}

/// A small deterministic random source (splitmix64), so a failing case can be replayed by its seed.
public struct SeededRandom: RandomNumberGenerator {
    public var state: UInt64

    public init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `count` random bytes.
    public mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) }
    }

    /// Text-like bytes that deflate compresses well.
    public mutating func text(_ count: Int) -> [UInt8] {
        let words = ["loss", "step", "epoch", "gradient", "학습", "데이터", "model", "batch", "0.0031", "\n"]
        var out: [UInt8] = []
        while out.count < count {
            out += Array(words.randomElement(using: &self)!.utf8)
            out.append(32)
        }
        return Array(out.prefix(count))
    }
}

/// A logger that drops everything.
public let quietLogger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

/// Waits until `condition` holds, checking it every few milliseconds, for at most `timeout`.
/// Records an issue (naming `what`) and returns false when it never does. For conditions another
/// process or thread makes true (a daemon finishing a backup); time the test controls goes
/// through a ``ManualClock`` instead.
///
/// The timeout is generous because only a failing test ever waits it out: with the whole suite
/// running at once on CI's two cores, a test that takes 0.1 s alone has taken 89 s, and a
/// 30-second wait for inotify to report a save ran out there.
@discardableResult
public func eventually(
    _ what: @autoclosure () -> String = "the condition", timeout: Duration = .seconds(120),
    sourceLocation: SourceLocation = #_sourceLocation, _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    var pause = Duration.milliseconds(2)
    while true {
        if try await condition() { return true }
        guard clock.now < deadline else {
            Issue.record("waited \(timeout) for \(what())", sourceLocation: sourceLocation)
            return false
        }
        try? await clock.sleep(for: pause)
        pause = min(pause * 2, .milliseconds(50))
    }
}

/// Like ``eventually``, but checks `condition` on a thread of its own and runs `action` on that
/// thread the moment it holds. For races against another process (kill a writer once it has
/// written a megabyte): busy tests can hold every thread of the cooperative pool for seconds, long
/// enough for the other process to finish before a check on the pool comes round again.
@discardableResult
public func whenTrue(
    _ what: @autoclosure () -> String, timeout: Duration = .seconds(30), sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: @escaping @Sendable () -> Bool, then action: @escaping @Sendable () -> Void
) async -> Bool {
    let held = await SystemThread.run {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while clock.now < deadline {
            if condition() {
                action()
                return true
            }
            usleep(1_000)
        }
        return false
    }
    if !held { Issue.record("waited \(timeout) for \(what())", sourceLocation: sourceLocation) }
    return held
}
