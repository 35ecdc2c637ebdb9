public import Foundation
public import PacaClient
public import PacaProtocol
import PacaSystem
import Testing

/// A daemon's folder: a config file, a source folder, a directory target and a socket in a
/// world-traversable folder (so permission tests reach the credential check), with helpers to
/// write the config and the source and to run pacactl against it.
open class DaemonFolder: @unchecked Sendable {
    public let root: String
    public var socket: String { root + "/run/pacad.sock" }
    public var source: String { root + "/source" }
    public var target: String { root + "/backups" }
    public var configPath: String { root + "/pacad.yaml" }

    public init(_ label: String = #function, compression: String = "{level: 2}", extraConfig: String = "") throws {
        root = NSTemporaryDirectory() + "pacad-\(label.filter(\.isLetter).prefix(24))-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: root + "/run", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        chmod(root, 0o755)
        chmod(root + "/run", 0o755)
        try writeConfig(compression: compression, extra: extraConfig)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    public func writeConfig(compression: String = "{level: 2}", extra: String = "", sets: String? = nil) throws {
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

    public func write(_ name: String, _ bytes: [UInt8], mode: mode_t = 0o644, mtime: Int? = nil) {
        let path = source + "/" + name
        try! FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        chmod(path, mode)
        if let mtime {
            var times = [timespec(tv_sec: mtime, tv_nsec: 0), timespec(tv_sec: mtime, tv_nsec: 0)]
            utimensat(AT_FDCWD, path, &times, 0)
        }
    }

    /// A source that takes seconds to back up at level 9 on one thread: one noisy MiB and a sparse
    /// file of `2 × (blocks - 1)` MiB (zeros compress about twice as fast as the noise), so the test
    /// writes 1 MiB and the daemon works about as long as on `blocks` MiB of noise. (Hard links
    /// would not do: they are stored once.)
    public func writeSlowSource(blocks: Int = 64, seed: UInt64 = 7) {
        var state = seed
        write(
            "block-0",
            (0..<(1 << 20)).map { _ -> UInt8 in
                state = state &* 6_364_136_223_846_793_005 &+ 1
                return UInt8(97 + (state >> 60))
            })
        write("sparse", [])
        truncate(source + "/sparse", off_t(blocks - 1) << 21)
    }

    /// Files under the target whose name ends in `.partial`.
    public var partialFiles: [String] {
        (FileManager.default.enumerator(atPath: target)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".partial") }
    }
}

/// A pacad child process on a folder of its own (``DaemonFolder``), started and signalled like
/// systemd would, talked to through its real socket.
public final class DaemonHarness: DaemonFolder, @unchecked Sendable {
    public var process: Process?
    public var logPath: String { root + "/pacad.log" }

    public override init(_ label: String = #function, compression: String = "{level: 2}", extraConfig: String = "") throws {
        try super.init(label, compression: compression, extraConfig: extraConfig)
    }

    deinit {
        if let process, process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    // Everything that waits for the daemon waits on a thread of its own, never on the
    // cooperative pool: tests in other suites (and daemons running in this process) need it.

    /// Runs pacactl against this daemon.
    public func pacactl(_ arguments: [String], prefix: [String] = []) async throws -> Output {
        let command = prefix + [Binaries.pacactl] + arguments + ["--socket", socket]
        return try await SystemThread.run { Result { try run(command) } }.get()
    }

    /// Calls `method` through the client library and returns its result.
    public func call<Params: Sendable, Result: Sendable>(_ method: RPCMethod<Params, Result>, _ params: Params = Params()) async throws
        -> Result
    {
        try await client.call(method, params)
    }

    /// The error `method` answers with, or nil when it succeeds.
    public func callError<Params: Sendable, Result: Sendable>(_ method: RPCMethod<Params, Result>, _ params: Params = Params()) async
        -> RPCError?
    {
        do {
            _ = try await client.call(method, params)
            return nil
        } catch {
            return error.rpcError
        }
    }

    /// A client of this daemon for async tests.
    public var client: PacaClient { PacaClient(socket: socket) }

    /// Starts pacad and waits until its socket answers. `launcher`, when given, is the command
    /// pacad's command line is appended to (a `systemd-socket-activate -l SOCKET` wrapper); the
    /// process returned and stopped is then the launcher's.
    @discardableResult
    public func start(_ arguments: [String] = [], environment: [String: String] = [:], launcher: [String] = []) async throws -> Process {
        let command = launcher + [Binaries.pacad, "--config", configPath] + arguments
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.environment = ["PATH": "/usr/bin:/bin"].merging(environment) { _, new in new }
        if !FileManager.default.fileExists(atPath: logPath) { _ = FileManager.default.createFile(atPath: logPath, contents: nil) }
        let log = FileHandle(forWritingAtPath: logPath)!
        log.seekToEndOfFile()
        process.standardError = log
        process.standardOutput = log
        try launch(process)
        self.process = process
        // The daemon's own readiness: a connection succeeds once the socket is bound.
        let socket = self.socket
        let started = await eventually("pacad to listen") {
            if !process.isRunning { return true }
            return await SystemThread.run { (try? Connection(paths: [socket])) != nil }
        }
        guard started, process.isRunning else {
            Issue.record("pacad did not start; log:\n\(self.log())")
            throw POSIXError(.ETIMEDOUT)
        }
        return process
    }

    /// Sends `signal` and waits for the process to exit; returns its status.
    @discardableResult
    public func stop(_ signal: Int32 = SIGTERM) async -> Int32 {
        guard let process else { return -1 }
        kill(process.processIdentifier, signal)
        self.process = nil
        let exited = ExitedProcess(process)
        return await SystemThread.run { exited.wait() }
    }

    public func log() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
}

/// A process handed to a thread to wait for (Process is not Sendable; only that thread uses it).
struct ExitedProcess: @unchecked Sendable {
    let process: Process
    init(_ process: Process) { self.process = process }

    func wait() -> Int32 {
        process.waitUntilExit()
        return process.terminationStatus
    }
}
