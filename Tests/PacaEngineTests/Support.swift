import Foundation
import Logging
import PacaConfig
import PacaCore

@testable import PacaEngine

/// A fresh directory per test, removed afterwards.
final class Workspace {
    let path: String

    init(_ label: String = #function) {
        path = NSTemporaryDirectory() + "paca-engine-\(label.filter(\.isLetter).prefix(30))-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func sub(_ name: String) -> String { path + "/" + name }

    func write(_ name: String, _ bytes: [UInt8]) {
        let full = sub(name)
        try! FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: full, contents: Data(bytes))
    }

    /// A config with one set `data` over `<ws>/source` and one directory target under `<ws>/backups`.
    func config(level: Int = 2, threads: Int? = nil) -> DaemonConfig {
        DaemonConfig(
            stateDirectory: sub("state"), socketPath: sub("state/pacad.sock"), compressionLevel: level, compressionThreads: threads,
            targets: [DaemonConfig.Target(name: "local", kind: .directory(path: sub("backups")))],
            sets: [DaemonConfig.BackupSet(name: "data", paths: [sub("source")], targets: ["local"])])
    }

    /// A source that takes seconds to back up at level 9 on one thread: one noisy MiB hard-linked
    /// `blocks` times (the archive stores links as copies). Tests that must stop a backup before it
    /// ends use thousands of blocks: in a loaded test run, synchronous tests of other suites can hold
    /// every thread of the cooperative pool for over a minute (seen in CI: 80 s), starving the
    /// test's own task while the backup's threads keep going. A prompt cancel costs nothing extra.
    func writeSlowSource(blocks: Int = 64) {
        write("source/block-0", noise(1 << 20))
        for index in 1..<blocks { link(sub("source/block-0"), sub("source/block-\(index)")) }
    }

    /// Files of `backups/` that end in `.partial`.
    var partialFiles: [String] {
        (FileManager.default.enumerator(atPath: sub("backups"))?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".partial") }
    }
}

/// Compressible but not trivial bytes: text-like noise from a fixed seed.
func noise(_ count: Int, seed: UInt64 = 42) -> [UInt8] {
    var state = seed
    let alphabet = Array("abcdefghijklmnop qrstuvwxyz0123456789\n".utf8)
    return (0..<count).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return alphabet[Int(state >> 59) % alphabet.count]
    }
}

let quietLogger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

/// A clock tests set by hand.
final class FixedClock: Sendable {
    let seconds: Double
    init(_ seconds: Double) { self.seconds = seconds }
    var clock: WallClock { let seconds = seconds; return WallClock { seconds } }
}
