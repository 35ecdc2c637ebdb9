import Foundation
import PacaCore
import PacaSystem
import PacaTestSupport
import Testing

@testable import PacaArchive

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
    static func run(_ executable: String, _ arguments: [String], stdin: String? = nil, in folder: String? = nil) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : (find(executable) ?? executable))
        process.arguments = arguments
        if let folder { process.currentDirectoryURL = URL(fileURLWithPath: folder) }
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
    try await SystemThread.run { Result { try body() } }.get()
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
