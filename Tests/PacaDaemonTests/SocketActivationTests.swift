import Foundation
import PacaSystem
import PacaTestSupport
import Testing

/// pacad started the way `pacad.socket` starts it: systemd's own `systemd-socket-activate` holds
/// the listening socket and execs pacad on the first connection, passing the socket as fd 3.
@Suite(.serialized) struct SocketActivationTests {
    /// `systemd-socket-activate` listening on `sockets`, under a shell that stays its parent and
    /// passes SIGTERM on: Foundation's Process watches a child through a descriptor the child
    /// inherits, and systemd-socket-activate closes every inherited descriptor before it execs,
    /// which Foundation takes for an exit (it then blocks in waitpid and reaps no other child).
    static let activateScript =
        #""$@" & child=$!; trap 'kill -TERM $child' TERM; wait $child; status=$?; "#
        + #"if kill -0 $child 2>/dev/null; then wait $child; status=$?; fi; exit $status"#

    static func launcher(_ sockets: [String]) -> [String] {
        ["/bin/sh", "-c", activateScript, "socket-activate", "/usr/bin/systemd-socket-activate"] + sockets.flatMap { ["-l", $0] }
    }

    @Test func pacadServesTheSocketSystemdPassesAndLeavesItsFileToSystemd() async throws {
        let daemon = try DaemonHarness()
        daemon.write("a.txt", Array("hello".utf8))
        try await daemon.start(launcher: Self.launcher([daemon.socket]))
        let backup = try await daemon.pacactl(["backup", "now", "--json"])
        #expect(backup.status == 0, "\(backup.stderr)")
        #expect(daemon.log().contains("listening on the socket systemd passed"))
        #expect(!daemon.log().contains("is not at the configured socket path"))
        #expect(await daemon.stop() == 0)
        // The socket belongs to systemd: it stays for the next start.
        var info = stat()
        #expect(lstat(daemon.socket, &info) == 0 && info.st_mode & S_IFMT == S_IFSOCK)
    }

    @Test func aSocketElsewhereIsServedWithAWarning() async throws {
        let daemon = try DaemonHarness()
        let elsewhere = daemon.root + "/run/other.sock"
        let launched = try Self.launch(daemon, listening: elsewhere)
        defer { Self.end(launched) }
        // The first connection execs pacad, which serves the socket it was given.
        let status = try await SystemThread.run { Result { try run([Binaries.pacactl, "status", "--socket", elsewhere]) } }.get()
        #expect(status.status == 0, "\(status.stderr)")
        #expect(daemon.log().contains("is not at the configured socket path"))
    }

    @Test func twoSocketsStopPacadWithAMessageThatNamesTheUnit() async throws {
        let daemon = try DaemonHarness()
        let launched = try Self.launch(daemon, listening: daemon.socket, daemon.root + "/run/second.sock")
        defer { Self.end(launched) }
        // The first connection execs pacad, which refuses to run on two sockets.
        _ = try await SystemThread.run { Result { try run([Binaries.pacactl, "status", "--socket", daemon.socket]) } }.get()
        let exited = await eventually("pacad to exit") { !launched.isRunning }
        #expect(exited)
        #expect(!launched.isRunning && launched.terminationStatus != 0)
        #expect(daemon.log().contains("systemd passed 2 sockets; pacad.socket must have exactly one ListenStream="))
    }

    /// pacad on `daemon`'s config behind systemd-socket-activate, logging to the daemon's log.
    static func launch(_ daemon: DaemonHarness, listening sockets: String...) throws -> Process {
        let command = launcher(sockets) + [Binaries.pacad, "--config", daemon.configPath]
        _ = FileManager.default.createFile(atPath: daemon.logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: daemon.logPath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.standardOutput = log
        process.standardError = log
        try PacaTestSupport.launch(process)
        // systemd-socket-activate binds before it waits; give it that moment.
        while !FileManager.default.fileExists(atPath: sockets[0]) && process.isRunning { usleep(10_000) }
        return process
    }

    static func end(_ process: Process) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
    }
}
