public import Foundation

/// The built binaries, next to the test bundle.
public enum Binaries {
    static func path(_ name: String) -> String {
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [here, here.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return here.appendingPathComponent(name).path
    }

    public static let pacad = path("pacad")
    public static let pacactl = path("pacactl")
    public static let pacareliability = path("pacareliability")
}

/// What a program printed and how it ended.
public struct Output: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    /// Standard output parsed as a JSON object (empty when it is not one).
    public var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any] ?? [:] }
}

/// Serialises `Process.run()`: Foundation's first launches set up a shared monitoring thread, and
/// launches racing from parallel test suites at that moment crashed the test process once in CI.
let launchLock = NSLock()

/// Starts `process` with no signal blocked, as a shell or systemd would start it: Foundation passes
/// on the calling thread's mask, and the cooperative pool's threads block nearly every signal, so a
/// `/bin/sh` started from a test would never see the SIGTERM or SIGCHLD it waits for.
public func launch(_ process: Process) throws {
    launchLock.lock()
    defer { launchLock.unlock() }
    var none = sigset_t()
    var previous = sigset_t()
    sigemptyset(&none)
    pthread_sigmask(SIG_SETMASK, &none, &previous)
    defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
    try process.run()
}

/// Runs a program to completion with a clean environment plus `environment`.
public func run(_ command: [String], environment: [String: String] = [:], input: [UInt8]? = nil) throws -> Output {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: command[0])
    process.arguments = Array(command.dropFirst())
    process.environment = ["PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": NSTemporaryDirectory()].merging(environment) { _, new in new }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let stdin = Pipe()
    if input != nil { process.standardInput = stdin }
    try launch(process)
    if let input {
        stdin.fileHandleForWriting.write(Data(input))
        try? stdin.fileHandleForWriting.close()
    }
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Output(
        status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
}

/// Type, mode, mtime and contents of everything under `root`, keyed by relative path.
public func treeSnapshot(_ root: String) -> [String: String] {
    var result: [String: String] = [:]
    let items = FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []
    for item in items {
        var info = stat()
        let path = root + "/" + item
        guard lstat(path, &info) == 0 else { continue }
        let kind = info.st_mode & S_IFMT
        var entry = "mode=\(String(info.st_mode & 0o7777, radix: 8))"
        switch kind {
        case S_IFREG:
            entry += " mtime=\(info.st_mtim.tv_sec) file=\(FileManager.default.contents(atPath: path)?.base64EncodedString() ?? "")"
        case S_IFDIR: entry += " dir"
        case S_IFLNK: entry = "link=\((try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?")"
        default: entry += " other"
        }
        result[item] = entry
    }
    return result
}
