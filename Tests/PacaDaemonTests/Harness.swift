import Foundation
import Testing

/// The built binaries sit next to the test bundle.
enum Binaries {
    static func path(_ name: String) -> String {
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [here, here.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return here.appendingPathComponent(name).path
    }

    static let pacad = path("pacad")
    static let pacactl = path("pacactl")
}

struct Output {
    var status: Int32
    var stdout: String
    var stderr: String

    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any] ?? [:] }
}

/// Serialises `Process.run()`: Foundation's first launches set up a shared monitoring thread, and
/// launches racing from parallel test suites at that moment crashed the test process once in CI.
let launchLock = NSLock()

func launch(_ process: Process) throws {
    launchLock.lock()
    defer { launchLock.unlock() }
    try process.run()
}

/// Runs a program to completion with a clean environment plus `environment`.
func run(_ command: [String], environment: [String: String] = [:]) throws -> Output {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: command[0])
    process.arguments = Array(command.dropFirst())
    process.environment = ["PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": NSTemporaryDirectory()].merging(environment) { _, new in new }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try launch(process)
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Output(
        status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
}

/// A pacad child process on a temp dir of its own: a config file, a source folder, a target, a
/// socket in a world-traversable folder (so permission tests reach the credential check).
final class DaemonHarness {
    let root: String
    var process: Process?
    var logPath: String { root + "/pacad.log" }
    var socket: String { root + "/run/pacad.sock" }
    var source: String { root + "/source" }
    var target: String { root + "/backups" }
    var configPath: String { root + "/pacad.yaml" }

    init(_ label: String = #function, compression: String = "{level: 2}", extraConfig: String = "") throws {
        root = NSTemporaryDirectory() + "pacad-\(label.filter(\.isLetter).prefix(24))-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: root + "/run", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        chmod(root, 0o755)
        chmod(root + "/run", 0o755)
        try writeConfig(compression: compression, extra: extraConfig)
    }

    deinit {
        if let process, process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: root)
    }

    func writeConfig(compression: String = "{level: 2}", extra: String = "", sets: String? = nil) throws {
        let text = """
            state_dir: \(root)/state
            socket: \(socket)
            compression: \(compression)
            targets:
              local: {type: directory, path: \(target)}
            sets:
            \(sets ?? "  data:\n    paths: [\(source)]\n    exclude: [\"*.tmp\"]\n    targets: [local]")
            \(extra)
            """
        try text.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    func write(_ name: String, _ bytes: [UInt8], mode: mode_t = 0o644, mtime: Int? = nil) {
        let path = source + "/" + name
        try! FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        chmod(path, mode)
        if let mtime {
            var times = [timespec(tv_sec: mtime, tv_nsec: 0), timespec(tv_sec: mtime, tv_nsec: 0)]
            utimensat(AT_FDCWD, path, &times, 0)
        }
    }

    /// Starts pacad and waits until its socket answers.
    @discardableResult
    func start(_ arguments: [String] = [], environment: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Binaries.pacad)
        process.arguments = ["--config", configPath] + arguments
        process.environment = ["PATH": "/usr/bin:/bin"].merging(environment) { _, new in new }
        if !FileManager.default.fileExists(atPath: logPath) { _ = FileManager.default.createFile(atPath: logPath, contents: nil) }
        let log = FileHandle(forWritingAtPath: logPath)!
        log.seekToEndOfFile()
        process.standardError = log
        process.standardOutput = log
        try launch(process)
        self.process = process
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let client = try? RawClient(socket) {
                _ = client
                return process
            }
            if !process.isRunning { break }
            usleep(10_000)
        }
        Issue.record("pacad did not start; log:\n\(self.log())")
        throw POSIXError(.ETIMEDOUT)
    }

    /// Sends `signal` and waits for the process to exit; returns its status.
    @discardableResult
    func stop(_ signal: Int32 = SIGTERM) -> Int32 {
        guard let process else { return -1 }
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        self.process = nil
        return process.terminationStatus
    }

    func log() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Runs pacactl against this daemon.
    func pacactl(_ arguments: [String], prefix: [String] = []) throws -> Output {
        try run(prefix + [Binaries.pacactl] + arguments + ["--socket", socket])
    }

    func rpc(_ method: String, _ params: [String: Any] = [:]) throws -> [String: Any] {
        try RawClient(socket).call(method, params)
    }

    /// A source that takes seconds to back up at level 9 on one thread: one noisy MiB, hard-linked
    /// `blocks` times (stored as copies), so the test writes 1 MiB and the daemon reads `blocks` MiB.
    func writeSlowSource(blocks: Int = 64, seed: UInt64 = 7) {
        var state = seed
        write(
            "block-0",
            (0..<(1 << 20)).map { _ -> UInt8 in
                state = state &* 6_364_136_223_846_793_005 &+ 1
                return UInt8(97 + (state >> 60))
            })
        for index in 1..<blocks { link(source + "/block-0", source + "/block-\(index)") }
    }

    /// Files under the target whose name ends in `.partial`.
    var partialFiles: [String] {
        (FileManager.default.enumerator(atPath: target)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".partial") }
    }
}

/// A byte-level client for protocol tests: frames by hand, so tests can also send broken ones.
final class RawClient {
    let fd: Int32

    init(_ path: String, timeout: Int = 10) throws {
        // The descriptor is stored only once connected: a class whose init throws after every
        // property is set still runs deinit, and closing a number twice closes whatever file
        // another thread opened under it in between (this closed archive readers mid-test).
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            let code = errno
            close(descriptor)
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
        }
        var time = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        fd = descriptor
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            offset += n
        }
    }

    func sendFrame(_ payload: [UInt8]) {
        let n = UInt32(payload.count)
        send([UInt8(n >> 24), UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)] + payload)
    }

    func sendJSON(_ object: Any) {
        sendFrame(Array(try! JSONSerialization.data(withJSONObject: object)))
    }

    /// The next frame's payload parsed as a JSON object; nil when the connection closed.
    func receive() -> [String: Any]? {
        guard let header = read(4) else { return nil }
        let length = Int(header[0]) << 24 | Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
        guard let payload = read(length) else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(payload))) as? [String: Any]
    }

    /// True when the daemon has closed the connection (a read returns end of file).
    func isClosed() -> Bool {
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, 0) == 0
    }

    func call(_ method: String, _ params: [String: Any] = [:], id: Int = 1) throws -> [String: Any] {
        sendJSON(["jsonrpc": "2.0", "id": id, "method": method, "params": params])
        while let message = receive() {
            if message["method"] as? String == "progress" { continue }
            return message
        }
        throw POSIXError(.ECONNRESET)
    }

    private func read(_ count: Int) -> [UInt8]? {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: max(count, 1))
        while result.count < count {
            let n = recv(fd, &buffer, count - result.count, 0)
            if n <= 0 { return nil }
            result += buffer[0..<n]
        }
        return result
    }
}

/// Type, mode, mtime and contents of everything under `root`, keyed by relative path.
func treeSnapshot(_ root: String) -> [String: String] {
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
