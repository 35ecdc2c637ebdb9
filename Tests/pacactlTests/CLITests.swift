import Foundation
import Testing

/// Runs the built `pacactl` binary (it sits next to the test bundle).
enum CLI {
    static let binary: String = {
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [here, here.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("pacactl").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return here.appendingPathComponent("pacactl").path
    }()

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any] ?? [:]
        }
    }

    static func run(_ arguments: [String], prefix: [String] = []) throws -> Output {
        let process = Process()
        let command = prefix + [binary] + arguments
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }
}

final class Scratch {
    let path: String
    init(_ label: String = #function) {
        path = NSTemporaryDirectory() + "pacactl-test-\(label.filter(\.isLetter).prefix(30))-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        chmod(path, 0o777)
    }
    deinit {
        let chmod = Process()
        chmod.executableURL = URL(fileURLWithPath: "/bin/chmod")
        chmod.arguments = ["-R", "u+rwx", path]
        try? chmod.run()
        chmod.waitUntilExit()
        try? FileManager.default.removeItem(atPath: path)
    }
    func sub(_ name: String) -> String { path + "/" + name }
    func write(_ name: String, _ text: String) {
        try! FileManager.default.createDirectory(
            atPath: (sub(name) as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: sub(name), contents: Data(text.utf8))
    }
}

@Suite struct ArchiveCommandTests {
    @Test func createListVerifyExtractWithJSON() throws {
        let s = Scratch()
        s.write("ws/a.txt", "alpha\n")
        s.write("ws/deep/b.txt", String(repeating: "beta ", count: 10_000))
        let create = try CLI.run(["archive", "create", s.sub("b.zip"), s.sub("ws"), "--json"])
        #expect(create.status == 0, "\(create.stderr)")
        #expect(create.json["files"] as? Int == 2)
        #expect(create.json["bytes_in"] as? Int == 6 + 50_000)
        #expect((create.json["bytes_stored"] as? Int ?? 0) > 0)
        #expect(create.json["seconds"] is Double)
        #expect((create.json["sha256"] as? String)?.count == 64)

        let list = try CLI.run(["archive", "ls", s.sub("b.zip"), "--json"])
        #expect(list.status == 0)
        let paths = (list.json["entries"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }
        #expect(paths == ["ws", "ws/a.txt", "ws/deep", "ws/deep/b.txt", ".paca/manifest.json"])

        let verify = try CLI.run(["archive", "verify", s.sub("b.zip"), "--json"])
        #expect(verify.status == 0)
        #expect(verify.json["ok"] as? Bool == true)
        #expect((verify.json["problems"] as? [Any])?.isEmpty == true)

        let extract = try CLI.run(["archive", "extract", s.sub("b.zip"), "--to", s.sub("out"), "--json"])
        #expect(extract.status == 0, "\(extract.stderr)")
        #expect(extract.json["files"] as? Int == 2)
        #expect(FileManager.default.contents(atPath: s.sub("out/ws/a.txt")) == Data("alpha\n".utf8))

        let again = try CLI.run(["archive", "extract", s.sub("b.zip"), "--to", s.sub("out")])
        #expect(again.status == 1)
        #expect(again.stderr.contains("already exists"))
        #expect(try CLI.run(["archive", "extract", s.sub("b.zip"), "--to", s.sub("out"), "--overwrite"]).status == 0)
    }

    @Test func verifyReportsBadEntriesAndExitsOne() throws {
        let s = Scratch()
        s.write("ws/one.txt", String(repeating: "one two three ", count: 5000))
        #expect(try CLI.run(["archive", "create", s.sub("b.zip"), s.sub("ws")]).status == 0)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: s.sub("b.zip")))
        bytes[200] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: s.sub("b.zip")))
        let verify = try CLI.run(["archive", "verify", s.sub("b.zip"), "--json"])
        #expect(verify.status == 1)
        #expect(verify.json["ok"] as? Bool == false)
        let problems = verify.json["problems"] as? [[String: Any]] ?? []
        #expect(problems.contains { $0["entry"] as? String == "ws/one.txt" })
        let human = try CLI.run(["archive", "verify", s.sub("b.zip")])
        #expect(human.stdout.contains("BAD  ws/one.txt"))
    }

    @Test func exitCodesFollowTheContract() throws {
        let s = Scratch()
        s.write("ws/a", "a")
        s.write("not-a-zip.zip", "hello")
        #expect(try CLI.run(["archive", "verify", s.sub("missing.zip")]).status == 4)
        #expect(try CLI.run(["archive", "create", s.sub("x.zip"), s.sub("missing-dir")]).status == 4)
        let usage = try CLI.run(["archive", "create", "--level", "12", s.sub("x.zip"), s.sub("ws")])
        #expect(usage.status == 2)
        #expect(usage.stderr.contains("--level must be 0-9"))
        #expect(try CLI.run(["archive", "frobnicate"]).status == 2)
        let notZip = try CLI.run(["archive", "ls", s.sub("not-a-zip.zip")])
        #expect(notZip.status == 1)
        #expect(notZip.stderr.contains("not a ZIP archive"))
        #expect(try CLI.run(["archive", "create", s.sub("x.zip"), s.sub("ws"), "--exclude", "[oops"]).status == 2)
    }

    /// Unreadable files are reported one by one and the backup carries on with the rest.
    @Test func unreadableFilesAreReportedAndTheRestIsBackedUp() throws {
        let s = Scratch()
        s.write("ws/readable.txt", "fine")
        s.write("ws/secret.txt", "no")
        chmod(s.sub("ws/secret.txt"), 0o000)
        chmod(s.sub("ws"), 0o755)
        // Root reads everything: run as nobody, the way an unprivileged backup would see it.
        let prefix = geteuid() == 0 ? ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : []
        let result = try CLI.run(["archive", "create", s.sub("b.zip"), s.sub("ws"), "--json"], prefix: prefix)
        #expect(result.status == 1)
        #expect(result.stderr.contains("secret.txt"))
        #expect(result.stderr.contains("Permission denied"))
        let errors = result.json["errors"] as? [[String: Any]] ?? []
        #expect(errors.count == 1)
        #expect(result.json["files"] as? Int == 1)
        #expect(try CLI.run(["archive", "verify", s.sub("b.zip")]).status == 0)
    }

    /// A killed writer leaves a .partial, never a truncated archive; the next run cleans it up.
    @Test func killedWriterLeavesOnlyAPartial() throws {
        let s = Scratch()
        try FileManager.default.createDirectory(atPath: s.sub("ws"), withIntermediateDirectories: true)
        let urandom = try #require(FileHandle(forReadingAtPath: "/dev/urandom"))
        for i in 0..<8 {
            try urandom.readData(ofLength: 32 << 20).write(to: URL(fileURLWithPath: s.sub("ws/blob\(i).bin")))
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["archive", "create", s.sub("b.zip"), s.sub("ws"), "--threads", "1"]
        try process.run()
        var waited = 0
        while !FileManager.default.fileExists(atPath: s.sub("b.zip.partial")) && waited < 2000 {
            usleep(2000)
            waited += 1
        }
        usleep(50_000)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal, "the writer finished before it could be killed")
        #expect(!FileManager.default.fileExists(atPath: s.sub("b.zip")))
        #expect(FileManager.default.fileExists(atPath: s.sub("b.zip.partial")))
        let rerun = try CLI.run(["archive", "create", s.sub("b.zip"), s.sub("ws")])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(!FileManager.default.fileExists(atPath: s.sub("b.zip.partial")))
        #expect(try CLI.run(["archive", "verify", s.sub("b.zip")]).status == 0)
    }
}
