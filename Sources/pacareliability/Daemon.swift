import Crypto
import Foundation

/// A real pacad on a folder of its own (config, source, two directory targets, socket), driven
/// with the real pacactl, as an operator would.
final class Daemon {
    let root: String
    let binaries: String
    var process: Process?
    var socket: String { root + "/run/pacad.sock" }
    var source: String { root + "/source/work" }

    /// `targets` replaces the two directory targets: YAML lines under `targets:` and the set's list.
    init(root: String, binaries: String, setExtra: String = "", targets: (lines: String, names: String)? = nil) throws {
        self.root = root
        self.binaries = binaries
        try? FileManager.default.removeItem(atPath: root)
        for folder in ["run", "source/work"] {
            try FileManager.default.createDirectory(atPath: root + "/" + folder, withIntermediateDirectories: true)
        }
        let config = """
            state_dir: \(root)/state
            socket: \(socket)
            compression: {level: 6}
            targets:
            \(targets?.lines ?? "  local: {type: directory, path: \(root)/t1}\n  second: {type: directory, path: \(root)/t2}")
            sets:
              work:
                paths: [\(source)]
                targets: [\(targets?.names ?? "local, second")]
            \(setExtra.isEmpty ? "" : "    " + setExtra)
            """
        try config.write(toFile: root + "/pacad.yaml", atomically: true, encoding: .utf8)
    }

    /// Starts pacad and waits until it answers `status`.
    func start(environment: [String: String] = [:]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binaries + "/pacad")
        process.arguments = ["--config", root + "/pacad.yaml"]
        process.environment = ["PATH": "/usr/bin:/bin"].merging(environment) { _, new in new }
        if !FileManager.default.fileExists(atPath: root + "/pacad.log") {
            _ = FileManager.default.createFile(atPath: root + "/pacad.log", contents: nil)
        }
        let log = FileHandle(forWritingAtPath: root + "/pacad.log")!
        log.seekToEndOfFile()
        process.standardOutput = log
        process.standardError = log
        try process.run()
        self.process = process
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if !process.isRunning {
                throw Violation("pacad exited at start with status \(process.terminationStatus): see \(root)/pacad.log")
            }
            if ctl(["status", "--json"], timeout: 5).status == 0 { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw Violation("pacad did not answer within 60 s of starting: see \(root)/pacad.log")
    }

    func kill9() {
        guard let process else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    func stop() {
        guard let process else { return }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        self.process = nil
    }

    struct Answer {
        var status: Int32
        var out: String
        var err: String
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(out.utf8))) as? [String: Any] ?? [:] }
    }

    /// Starts pacactl with `arguments` against this daemon; `finish` waits for it.
    func startCtl(_ arguments: [String], timeout: Double = 120) throws -> (Process, () -> Answer) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binaries + "/pacactl")
        process.arguments = arguments + ["--socket", socket, "--timeout", String(Int(timeout))]
        process.environment = ["PATH": "/usr/bin:/bin", "HOME": root]
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes while it runs, so a large answer cannot block it.
        let outData = Reader(out.fileHandleForReading)
        let errData = Reader(err.fileHandleForReading)
        return (
            process,
            {
                process.waitUntilExit()
                return Answer(status: process.terminationStatus, out: outData.text(), err: errData.text())
            }
        )
    }

    func ctl(_ arguments: [String], timeout: Double = 120) -> Answer {
        guard let (_, finish) = try? startCtl(arguments, timeout: timeout) else {
            return Answer(status: -1, out: "", err: "could not start pacactl")
        }
        return finish()
    }

    /// The catalog's backups (every page).
    func backups() throws -> [[String: Any]] {
        let answer = ctl(["backup", "list", "--json"])
        guard answer.status == 0, let list = answer.json["backups"] as? [[String: Any]] else {
            throw Violation("backup list failed (\(answer.status)): \(answer.err)")
        }
        return list
    }
}

/// Collects what a pipe delivers on a thread of its own.
final class Reader: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func text() -> String {
        done.wait()
        done.signal()
        return String(decoding: data, as: UTF8.self)
    }
}

/// A folder's files by relative path, each as its SHA-256: what a restore must give back.
func treeDigest(_ root: String) -> [String: String] {
    var digests: [String: String] = [:]
    let base = URL(fileURLWithPath: root).standardizedFileURL.path
    guard let walker = FileManager.default.enumerator(atPath: base) else { return [:] }
    while let name = walker.nextObject() as? String {
        let path = base + "/" + name
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
        let content = FileManager.default.contents(atPath: path) ?? Data()
        digests[name] = SHA256.hash(data: content).map { String(format: "%02x", $0) }.joined()
    }
    return digests
}
