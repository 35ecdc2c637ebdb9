import Foundation
import PacaProtocol
import PacaTestSupport
import Testing

/// pacad as a child process, driven through the real socket with the real client.
@Suite(.serialized) struct DaemonLifecycleTests {
    @Test func backupListRestoreVerifyDeleteThroughPacactl() async throws {
        let daemon = try DaemonHarness()
        daemon.write("datasets/train.jsonl", Array(String(repeating: "{\"x\": 1}\n", count: 5000).utf8), mtime: 1_700_000_000)
        daemon.write(
            "checkpoints/step-100.pt", (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }, mode: 0o600, mtime: 1_700_000_100)
        daemon.write("run.sh", Array("#!/bin/sh\necho hi\n".utf8), mode: 0o755, mtime: 1_700_000_200)
        daemon.write("scratch.tmp", Array("excluded".utf8))
        try FileManager.default.createSymbolicLink(atPath: daemon.source + "/latest.pt", withDestinationPath: "checkpoints/step-100.pt")
        try await daemon.start()

        let made = try await daemon.pacactl(["backup", "now", "--reason", "before sweep", "--json"])
        #expect(made.status == 0, "\(made.stderr)")
        let record = made.json
        let id = try #require(record["id"] as? String)
        #expect(record["status"] as? String == "complete")
        #expect(record["files"] as? Int == 3)
        #expect(record["reason"] as? String == "before sweep")
        #expect(FileManager.default.fileExists(atPath: daemon.target + "/data/\(id).zip"))
        #expect(FileManager.default.fileExists(atPath: daemon.target + "/data/\(id).zip.sha256"))

        let listed = try await daemon.pacactl(["backup", "list"])
        #expect(listed.status == 0)
        #expect(listed.stdout.contains(id) && listed.stdout.contains("before sweep"))

        let restoreDir = daemon.root + "/restored"
        let restored = try await daemon.pacactl(["restore", id, "--to", restoreDir])
        #expect(restored.status == 0, "\(restored.stderr)")
        var expected = treeSnapshot(daemon.source)
        expected["scratch.tmp"] = nil
        #expect(treeSnapshot(restoreDir + "/source") == expected)

        let again = try await daemon.pacactl(["restore", id, "--to", restoreDir])
        #expect(again.status == 1)
        #expect(again.stderr.contains("already exists"))

        let verified = try await daemon.pacactl(["backup", "verify", id])
        #expect(verified.status == 0)
        #expect(verified.stdout.hasPrefix("OK"))

        let shown = try await daemon.pacactl(["backup", "show", id, "--json"])
        #expect(shown.json["verified"] as? Bool == true)

        #expect(try await daemon.pacactl(["backup", "show", "20991231T000000Z-data-ffff"]).status == 4)

        let deleted = try await daemon.pacactl(["backup", "delete", id])
        #expect(deleted.status == 0)
        #expect(!FileManager.default.fileExists(atPath: daemon.target + "/data/\(id).zip"))
        #expect(try await daemon.pacactl(["backup", "show", id]).status == 4)
        #expect(await daemon.stop() == 0)
    }

    @Test func theCatalogSurvivesARestart() async throws {
        let daemon = try DaemonHarness()
        daemon.write("a.txt", Array("hello".utf8))
        try await daemon.start()
        let first = try await daemon.pacactl(["backup", "now", "--json"]).json["id"] as? String
        let second = try await daemon.pacactl(["backup", "now", "--json"]).json["id"] as? String
        let before = try await daemon.pacactl(["backup", "list", "--json"]).stdout
        #expect(await daemon.stop() == 0)
        #expect(!FileManager.default.fileExists(atPath: daemon.socket))
        try await daemon.start()
        let after = try await daemon.pacactl(["backup", "list", "--json"]).stdout
        #expect(before == after)
        let ids = [try #require(first), try #require(second)]
        #expect(ids.allSatisfy { after.contains($0) })
        await daemon.stop()
    }

    /// The id of the backup being written, once it has written bytes.
    func waitUntilWriting(_ daemon: DaemonHarness) async throws -> String {
        var id: String?
        await eventually("a backup writing bytes") {
            let activity = (try? await daemon.call(Methods.daemonStatus))?.activities.first
            id = activity?.progress.bytes ?? 0 > 0 ? activity?.progress.backup : nil
            return id != nil
        }
        return try #require(id)
    }

    @Test func killDuringABackupLeavesNoPartialAndMarksItInterrupted() async throws {
        let daemon = try DaemonHarness(compression: "{level: 9, threads: 1}")
        // 4 GiB through one level-9 thread: minutes of work, so the backup is still being written
        // when the signal comes however slowly a busy machine gets round to sending it.
        daemon.writeSlowSource(blocks: 4096)
        try await daemon.start()
        let started = try await daemon.pacactl(["backup", "now", "--no-wait", "--json"])
        #expect(started.status == 0)
        let id = try await waitUntilWriting(daemon)
        #expect(!daemon.partialFiles.isEmpty)
        await daemon.stop(SIGKILL)
        #expect(FileManager.default.fileExists(atPath: daemon.socket))  // stale, as after a real crash

        try await daemon.start()
        #expect(daemon.partialFiles.isEmpty)
        let shown = try await daemon.pacactl(["backup", "show", id, "--json"]).json
        #expect(shown["status"] as? String == "interrupted")
        #expect(!FileManager.default.fileExists(atPath: daemon.target + "/data/\(id).zip"))
        #expect(try await daemon.pacactl(["restore", id, "--to", daemon.root + "/r"]).status == 1)
        await daemon.stop()
    }

    @Test func sigtermDuringABackupCancelsItCleanly() async throws {
        let daemon = try DaemonHarness(compression: "{level: 9, threads: 1}")
        // 4 GiB through one level-9 thread: minutes of work, so the backup is still being written
        // when the signal comes however slowly a busy machine gets round to sending it.
        daemon.writeSlowSource(blocks: 4096)
        try await daemon.start(["--stop-timeout", "0"])
        _ = try await daemon.pacactl(["backup", "now", "--no-wait"])
        let id = try await waitUntilWriting(daemon)
        let began = Date()
        #expect(await daemon.stop(SIGTERM) == 0)
        #expect(Date().timeIntervalSince(began) < 10)
        #expect(daemon.partialFiles.isEmpty)
        try await daemon.start()
        let shown = try await daemon.pacactl(["backup", "show", id, "--json"]).json
        #expect(shown["status"] as? String == "cancelled")
        await daemon.stop()
    }

    @Test func aSecondDaemonOnTheSameSocketRefusesToStart() async throws {
        let daemon = try DaemonHarness()
        try await daemon.start()
        let second = try run([Binaries.pacad, "--config", daemon.configPath])
        #expect(second.status == 1)
        #expect(second.stderr.contains("already listening"))
        #expect(try await daemon.call(Methods.daemonStatus).state == .idle)
        await daemon.stop()
    }

    @Test func checkConfigExitsZeroOrOneWithoutStarting() async throws {
        let daemon = try DaemonHarness()
        let good = try run([Binaries.pacad, "--check-config", daemon.configPath])
        #expect(good.status == 0)
        #expect(good.stdout.contains("ok"))
        try "state_dir: relative\nsocket: /tmp/x.sock\ntargets: {}\nsets: {}\n".write(
            toFile: daemon.configPath, atomically: true, encoding: .utf8)
        let bad = try run([Binaries.pacad, "--check-config", daemon.configPath])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("state_dir"))
        #expect(!FileManager.default.fileExists(atPath: daemon.socket))
    }

    @Test func reloadAppliesAGoodFileAndKeepsTheOldOneOnABadFile() async throws {
        let daemon = try DaemonHarness()
        try await daemon.start()
        try daemon.writeConfig(sets: "  data:\n    paths: [\(daemon.source)]\n  logs:\n    paths: [\(daemon.source)]\n")
        #expect(try await daemon.call(Methods.daemonReload).sets == ["data", "logs"])
        try "sets: [oops".write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
        #expect(await daemon.callError(Methods.daemonReload)?.code == RPCErrorCode.validationError.rawValue)
        #expect(try await daemon.call(Methods.daemonStatus).sets.map(\.name) == ["data", "logs"])
        // SIGHUP reloads too.
        try daemon.writeConfig()
        kill(daemon.process!.processIdentifier, SIGHUP)
        await eventually("SIGHUP to reload") { (try? await daemon.call(Methods.daemonStatus))?.sets.map(\.name) == ["data"] }
        await daemon.stop()
    }

    @Test func logsCarryJournalPrioritiesOnlyWhenStderrIsTheJournal() async throws {
        let daemon = try DaemonHarness()
        _ = FileManager.default.createFile(atPath: daemon.logPath, contents: nil)
        var info = stat()
        stat(daemon.logPath, &info)
        try await daemon.start(environment: ["JOURNAL_STREAM": "\(info.st_dev):\(info.st_ino)"])
        await daemon.stop()
        let journal = daemon.log().split(separator: "\n")
        #expect(journal.contains { $0.hasPrefix("<6>ready") })
        #expect(journal.allSatisfy { $0.hasPrefix("<") }, "lines without a priority: \(journal.filter { !$0.hasPrefix("<") })")

        try await daemon.start(environment: ["JOURNAL_STREAM": "1:2"])
        await daemon.stop()
        let plain = daemon.log().split(separator: "\n").dropFirst(journal.count)
        #expect(plain.contains { $0.contains(" info ready") })
        #expect(!plain.contains { $0.hasPrefix("<") })
    }

    @Test func theUnitFilesPassSystemdAnalyzeVerify() async throws {
        // `make test` installs systemd (for systemd-analyze) when it is missing.
        #expect(FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze"))
        let units = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("systemd")
        let folder = TemporaryFolder()
        let service = try String(contentsOf: units.appendingPathComponent("pacad.service"), encoding: .utf8)
            .replacingOccurrences(of: "/usr/bin/pacad", with: Binaries.pacad)
            .replacingOccurrences(of: "/usr/bin/pacactl", with: Binaries.pacactl)
        let socket = try String(contentsOf: units.appendingPathComponent("pacad.socket"), encoding: .utf8)
        try service.write(toFile: folder.sub("pacad.service"), atomically: true, encoding: .utf8)
        try socket.write(toFile: folder.sub("pacad.socket"), atomically: true, encoding: .utf8)
        // --man=no: the man pages named by Documentation= are installed by the package (make systemd-test checks them).
        let verified = try run(["/usr/bin/systemd-analyze", "verify", "--man=no", folder.sub("pacad.service"), folder.sub("pacad.socket")])
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(service.contains("Type=notify") && service.contains("WatchdogSec=") && service.contains("ProtectSystem=strict"))
        #expect(service.contains("Requires=pacad.socket") && service.contains("RuntimeDirectoryPreserve=yes"))
        // systemctl reload waits for the reload and fails on a bad file (make systemd-test shows it).
        #expect(service.contains("ExecReload=\(Binaries.pacactl) reload --socket /run/paca/pacad.sock"))
        #expect(socket.contains("ListenStream=/run/paca/pacad.sock") && socket.contains("SocketGroup=paca"))
    }

    @Test func thePackagedConfigurationPassesCheckConfigAsShippedAndWithItsExamplesEnabled() throws {
        let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("packaging/deb/pacad.yaml").path
        let asShipped = try run([Binaries.pacad, "--check-config", shipped])
        #expect(asShipped.status == 0, "\(asShipped.stderr)")
        // Every commented example (`# key: ...`, indented or not) uncommented where it stands.
        let text = try String(contentsOfFile: shipped, encoding: .utf8)
        let example = /^( *)# ( *[a-z_]+:( .*)?)$/
        let enabled = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            guard let match = String(line).wholeMatch(of: example) else { return String(line) }
            return String(match.1) + String(match.2)
        }.joined(separator: "\n")
        let folder = TemporaryFolder()
        try enabled.write(toFile: folder.sub("pacad.yaml"), atomically: true, encoding: .utf8)
        let withExamples = try run([Binaries.pacad, "--check-config", folder.sub("pacad.yaml")])
        // The examples name users and groups (paca, vision-team) this machine need not have; any
        // other problem is the file's own.
        let problems = withExamples.stderr.split(separator: "\n").dropFirst().filter { !$0.contains(" on this machine") }
        #expect(withExamples.status == 0 || problems.isEmpty, "\(withExamples.stderr)\n\(enabled)")
        #expect(problems.isEmpty, "\(withExamples.stderr)")
        #expect(enabled.contains("access:\n  read:") && enabled.contains("offsite:") && enabled.contains("nightly:"))
    }
}

@Suite struct UnreachableDaemonTests {
    @Test func pacactlSaysWhereItLookedAndExitsThree() async throws {
        let folder = TemporaryFolder()
        let missing = folder.sub("no-such-pacad.sock")
        let flagged = try run([Binaries.pacactl, "status", "--socket", missing])
        #expect(flagged.status == 3)
        #expect(flagged.stderr.contains(missing) && flagged.stderr.contains("No such file"))
        let fromEnvironment = try run([Binaries.pacactl, "backup", "list"], environment: ["PACA_SOCKET": missing])
        #expect(fromEnvironment.status == 3)
        #expect(fromEnvironment.stderr.contains(missing))
        let usage = try run([Binaries.pacactl, "backup", "list", "--limit", "0", "--socket", missing])
        #expect(usage.status == 2)
    }

    /// A socket that takes connections and never answers (a hung daemon, or a socket unit whose
    /// service does not run): pacactl gives up after `--timeout` with exit 3 and says why.
    @Test func aSilentDaemonTimesOut() throws {
        let folder = TemporaryFolder()
        let path = folder.sub("silent.sock")
        let listener = try listeningUnixSocket(at: path)
        defer { close(listener) }
        // The kernel completes connections in the backlog: nobody ever accepts or answers them.
        let started = Date()
        let silent = try run([Binaries.pacactl, "status", "--socket", path, "--timeout", "1.5"])
        #expect(silent.status == 3, "\(silent.stderr)")
        #expect(silent.stderr.contains("sent nothing for 1.5 s") && silent.stderr.contains("--timeout"), "\(silent.stderr)")
        #expect(Date().timeIntervalSince(started) >= 1.5)
        let bad = try run([Binaries.pacactl, "status", "--socket", path, "--timeout", "-1"])
        #expect(bad.status == 2 && bad.stderr.contains("--timeout"), "\(bad.stderr)")
    }
}
