import Foundation
import PacaCore
import Testing

@testable import PacaArchive

/// A fresh directory under the system temp dir, removed when the value goes away.
final class TempDirectory {
    let path: String

    init(_ label: String = #function) {
        let safe = label.filter { $0.isLetter || $0.isNumber }.prefix(40)
        path = NSTemporaryDirectory() + "paca-test-\(safe)-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        // Make everything writable again so removal works after mode tests.
        _ = try? Tool.run("/bin/chmod", ["-R", "u+rwx", path])
        try? FileManager.default.removeItem(atPath: path)
    }

    func sub(_ name: String) -> String { path + "/" + name }
}

/// Builds files for tests.
enum Tree {
    static func write(_ path: String, _ bytes: [UInt8], mode: Int = 0o644, mtime: Int64? = nil) throws {
        let parent = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        chmod(path, mode_t(mode))
        if let mtime { setTime(path, mtime) }
    }

    static func write(_ path: String, _ text: String, mode: Int = 0o644, mtime: Int64? = nil) throws {
        try write(path, Array(text.utf8), mode: mode, mtime: mtime)
    }

    static func directory(_ path: String, mode: Int = 0o755) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        chmod(path, mode_t(mode))
    }

    static func symlink(_ path: String, to target: String) throws {
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: target)
    }

    static func setTime(_ path: String, _ seconds: Int64, followSymlinks: Bool = true) {
        var times = [timespec(tv_sec: Int(seconds), tv_nsec: 0), timespec(tv_sec: Int(seconds), tv_nsec: 0)]
        utimensat(AT_FDCWD, path, &times, followSymlinks ? 0 : AT_SYMLINK_NOFOLLOW)
    }

    static func read(_ path: String) -> [UInt8] {
        Array(FileManager.default.contents(atPath: path) ?? Data())
    }

    /// A description of every object under `root`: type, mode, mtime (files and dirs) and content.
    static func snapshot(_ root: String, times: Bool = true) throws -> [String: String] {
        var result: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(atPath: root)!
        while let relative = enumerator.nextObject() as? String {
            let path = root + "/" + relative
            var info = stat()
            lstat(path, &info)
            let mode = String(info.st_mode & 0o7777, radix: 8)
            let time = times ? " t=\(info.st_mtim.tv_sec)" : ""
            switch info.st_mode & S_IFMT {
            case S_IFDIR: result[relative] = "dir \(mode)\(time)"
            case S_IFLNK: result[relative] = "link -> \(try FileManager.default.destinationOfSymbolicLink(atPath: path))"
            default:
                let bytes = read(path)
                result[relative] = "file \(mode)\(time) \(bytes.count) \(bytes.hashValue)"
            }
        }
        return result
    }
}

/// A small deterministic random generator, so failures reproduce.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) }
    }

    /// Text-like bytes that deflate compresses well.
    mutating func text(_ count: Int) -> [UInt8] {
        let words = ["loss", "step", "epoch", "gradient", "학습", "데이터", "model", "batch", "0.0031", "\n"]
        var out: [UInt8] = []
        while out.count < count {
            out += Array(words.randomElement(using: &self)!.utf8)
            out.append(32)
        }
        return Array(out.prefix(count))
    }
}

/// Runs external programs (unzip, 7z, bsdtar, python3) for conformance checks.
enum Tool {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func find(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    @discardableResult
    static func run(_ executable: String, _ arguments: [String], stdin: String? = nil) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : (find(executable) ?? executable))
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        let stderrData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus, stdout: String(decoding: stdoutData, as: UTF8.self),
            stderr: String(decoding: stderrData, as: UTF8.self))
    }

    /// Runs a required tool; a missing tool fails the test with the package to install.
    static func require(_ name: String, package: String) -> String? {
        if let path = find(name) { return path }
        Issue.record("\(name) is not installed: install \(package) (make test does this)")
        return nil
    }
}

/// Creates an archive of `sources` with small pieces so multi-piece paths run on small files.
@discardableResult
func makeArchive(
    _ sources: [String], at destination: String, level: Int = 3, pieceSize: Int = 64 << 10, threads: Int = 3, excludes: [String] = []
) throws -> CreationResult {
    try ArchiveCreator.create(
        sources: sources, at: destination,
        header: ManifestHeader(backupID: "test", setName: "unit", createdAt: 1_795_744_800),
        options: CreationOptions(level: level, threads: threads, pieceSize: pieceSize, excludes: try excludes.map { try .init($0) }))
}

/// Runs long synchronous test work on a thread of its own and waits for it, so it does not hold a
/// thread of the cooperative pool (two on this machine) that every async test shares.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// Failed checks of work that runs off the test's task, reported by the test afterwards.
struct Checks {
    private(set) var problems: [String] = []

    mutating func callAsFunction(_ ok: Bool, _ what: @autoclosure () -> String = "", line: Int = #line) {
        if !ok { problems.append("line \(line): \(what())") }
    }
}

/// Runs long synchronous checks on a thread of their own (so other suites' async tests keep the
/// cooperative pool) and returns what failed.
func checkedOffPool(_ body: @escaping @Sendable (inout Checks) throws -> Void) async throws -> [String] {
    try await offPool {
        var checks = Checks()
        try body(&checks)
        return checks.problems
    }
}

/// `#require` for code that runs off the test's task: the value, or an error naming the line.
func required<T>(_ value: T?, line: Int = #line) throws -> T {
    guard let value else { throw RequiredValueMissing(line: line) }
    return value
}

struct RequiredValueMissing: Error, CustomStringConvertible {
    var line: Int
    var description: String { "a required value was missing at line \(line)" }
}
