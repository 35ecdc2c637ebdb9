import Foundation
public import Logging
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
    var generator = SeededRandom(state: seed)
    var bytes: [UInt8] = []
    bytes.reserveCapacity(count + 8)
    while bytes.count < count { withUnsafeBytes(of: generator.next()) { bytes += $0 } }
    return Array(bytes.prefix(count))
}

/// A small deterministic random source (splitmix64), so a failing case can be replayed by its seed.
public struct SeededRandom: RandomNumberGenerator {
    public var state: UInt64
    public init(state: UInt64) { self.state = state }

    public mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

/// A logger that drops everything.
public let quietLogger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

/// Waits until `condition` holds, checking it every few milliseconds, for at most `timeout`.
/// Records an issue (naming `what`) and returns false when it never does. For conditions another
/// process or thread makes true (a daemon finishing a backup); time the test controls goes
/// through a ``ManualClock`` instead.
@discardableResult
public func eventually(
    _ what: @autoclosure () -> String = "the condition", timeout: Duration = .seconds(30),
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
