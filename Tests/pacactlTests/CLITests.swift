import Foundation
import PacaSystem
import PacaTestSupport
import Testing

/// Runs the built `pacactl` binary with the test support's runner.
enum CLI {
    static var binary: String { Binaries.pacactl }

    /// Runs pacactl on a thread of its own (never blocking the cooperative pool) and returns what it printed.
    static func run(_ arguments: [String], prefix: [String] = []) async throws -> Output {
        let command = prefix + [Binaries.pacactl] + arguments
        return try await SystemThread.run { Result { try PacaTestSupport.run(command) } }.get()
    }
}

@Suite struct ArchiveCommandTests {
    @Test func createListVerifyExtractWithJSON() async throws {
        let s = TemporaryFolder()
        s.write("ws/a.txt", "alpha\n")
        s.write("ws/deep/b.txt", String(repeating: "beta ", count: 10_000))
        let create = try await CLI.run(["archive", "create", s.sub("b.zip"), s.sub("ws"), "--json"])
        #expect(create.status == 0, "\(create.stderr)")
        #expect(create.json["files"] as? Int == 2)
        #expect(create.json["bytes_in"] as? Int == 6 + 50_000)
        #expect((create.json["bytes_stored"] as? Int ?? 0) > 0)
        #expect(create.json["seconds"] is Double)
        #expect((create.json["sha256"] as? String)?.count == 64)

        let list = try await CLI.run(["archive", "ls", s.sub("b.zip"), "--json"])
        #expect(list.status == 0)
        let paths = (list.json["entries"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }
        #expect(paths == ["ws", "ws/a.txt", "ws/deep", "ws/deep/b.txt", ".paca/manifest.json"])

        let verify = try await CLI.run(["archive", "verify", s.sub("b.zip"), "--json"])
        #expect(verify.status == 0)
        #expect(verify.json["ok"] as? Bool == true)
        #expect((verify.json["problems"] as? [Any])?.isEmpty == true)

        let extract = try await CLI.run(["archive", "extract", s.sub("b.zip"), "--to", s.sub("out"), "--json"])
        #expect(extract.status == 0, "\(extract.stderr)")
        #expect(extract.json["files"] as? Int == 2)
        #expect(FileManager.default.contents(atPath: s.sub("out/ws/a.txt")) == Data("alpha\n".utf8))

        let again = try await CLI.run(["archive", "extract", s.sub("b.zip"), "--to", s.sub("out")])
        #expect(again.status == 1)
        #expect(again.stderr.contains("already exists"))
        #expect(try await CLI.run(["archive", "extract", s.sub("b.zip"), "--to", s.sub("out"), "--overwrite"]).status == 0)
    }

    @Test func verifyReportsBadEntriesAndExitsOne() async throws {
        let s = TemporaryFolder()
        s.write("ws/one.txt", String(repeating: "one two three ", count: 5000))
        #expect(try await CLI.run(["archive", "create", s.sub("b.zip"), s.sub("ws")]).status == 0)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: s.sub("b.zip")))
        bytes[200] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: s.sub("b.zip")))
        let verify = try await CLI.run(["archive", "verify", s.sub("b.zip"), "--json"])
        #expect(verify.status == 1)
        #expect(verify.json["ok"] as? Bool == false)
        let problems = verify.json["problems"] as? [[String: Any]] ?? []
        #expect(problems.contains { $0["entry"] as? String == "ws/one.txt" })
        let human = try await CLI.run(["archive", "verify", s.sub("b.zip")])
        #expect(human.stdout.contains("BAD  ws/one.txt"))
    }

    @Test func exitCodesFollowTheContract() async throws {
        let s = TemporaryFolder()
        s.write("ws/a", "a")
        s.write("not-a-zip.zip", "hello")
        #expect(try await CLI.run(["archive", "verify", s.sub("missing.zip")]).status == 4)
        #expect(try await CLI.run(["archive", "create", s.sub("x.zip"), s.sub("missing-dir")]).status == 4)
        let usage = try await CLI.run(["archive", "create", "--level", "12", s.sub("x.zip"), s.sub("ws")])
        #expect(usage.status == 2)
        #expect(usage.stderr.contains("--level must be 0-9"))
        #expect(try await CLI.run(["archive", "frobnicate"]).status == 2)
        let notZip = try await CLI.run(["archive", "ls", s.sub("not-a-zip.zip")])
        #expect(notZip.status == 1)
        #expect(notZip.stderr.contains("not a ZIP archive"))
        #expect(try await CLI.run(["archive", "create", s.sub("x.zip"), s.sub("ws"), "--exclude", "[oops"]).status == 2)
    }

    /// Unreadable files are reported one by one and the backup carries on with the rest.
    @Test func unreadableFilesAreReportedAndTheRestIsBackedUp() async throws {
        let s = TemporaryFolder()
        s.write("ws/readable.txt", "fine")
        s.write("ws/secret.txt", "no")
        chmod(s.sub("ws/secret.txt"), 0o000)
        chmod(s.sub("ws"), 0o755)
        chmod(s.path, 0o777)  // nobody writes the archive here
        // Root reads everything: run as nobody, the way an unprivileged backup would see it.
        let prefix = geteuid() == 0 ? ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : []
        let result = try await CLI.run(["archive", "create", s.sub("b.zip"), s.sub("ws"), "--json"], prefix: prefix)
        #expect(result.status == 1)
        #expect(result.stderr.contains("secret.txt"))
        #expect(result.stderr.contains("Permission denied"))
        let errors = result.json["errors"] as? [[String: Any]] ?? []
        #expect(errors.count == 1)
        #expect(result.json["files"] as? Int == 1)
        #expect(try await CLI.run(["archive", "verify", s.sub("b.zip")]).status == 0)
    }

    /// A killed writer leaves a .partial, never a truncated archive; the next run cleans it up.
    @Test func killedWriterLeavesOnlyAPartial() async throws {
        let s = TemporaryFolder()
        // Minutes of work at level 9 on one thread: the kill always comes long before the end.
        s.writeSlowSource(blocks: 1024, folder: "ws")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["archive", "create", s.sub("b.zip"), s.sub("ws"), "--threads", "1", "--level", "9"]
        try process.run()
        // Killed the moment it has written 256 KiB (the noisy MiB compresses to about half of that
        // and comes first; the zeros after it take seconds and add little).
        let partial = s.sub("b.zip.partial")
        let pid = process.processIdentifier
        await whenTrue("the writer to have written 256 KiB") {
            var info = stat()
            return lstat(partial, &info) == 0 && info.st_size > 256 << 10
        } then: {
            kill(pid, SIGKILL)
        }
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal, "the writer finished before it could be killed")
        #expect(!FileManager.default.fileExists(atPath: s.sub("b.zip")))
        #expect(FileManager.default.fileExists(atPath: s.sub("b.zip.partial")))
        let rerun = try await CLI.run(["archive", "create", s.sub("b.zip"), s.sub("ws"), "--level", "1"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(!FileManager.default.fileExists(atPath: s.sub("b.zip.partial")))
        #expect(try await CLI.run(["archive", "verify", s.sub("b.zip")]).status == 0)
    }
}
