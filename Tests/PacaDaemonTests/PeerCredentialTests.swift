import Foundation
import PacaProtocol
import PacaTestSupport
import Testing

@testable import PacaDaemon

@Suite struct AccessPolicyTests {
    @Test(arguments: [
        (UInt32(0), UInt32(0), [UInt32](), true),  // root
        (1000, 1000, [], true),  // the daemon's own user
        (1001, 1001, [], false),  // someone else
        (1001, 50, [], true),  // primary group is the socket group
        (1001, 1001, [4, 50], true),  // supplementary member
        (1001, 1001, [4, 51], false),
    ])
    func whoMayUseTheSocket(uid: UInt32, gid: UInt32, groups: [UInt32], allowed: Bool) {
        #expect(AccessPolicy(ownUID: 1000, groupID: 50).allows(uid: uid, gid: gid, groups: groups) == allowed)
    }

    @Test func withoutASocketGroupOnlyRootAndTheOwnerMay() async {
        let policy = AccessPolicy(ownUID: 1000, groupID: nil)
        #expect(!policy.allows(uid: 1001, gid: 50, groups: [50]))
        #expect(policy.allows(uid: 1000, gid: 1, groups: []))
    }
}

/// The kernel's SO_PEERCRED answer decides, even when the socket file's mode would let anyone in.
@Suite(.serialized) struct PeerCredentialTests {
    static var canSwitchUser: Bool { getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") }

    @Test(.enabled(if: canSwitchUser)) func aStrangerGetsAPermissionErrorNotASilentClose() async throws {
        let daemon = try DaemonHarness()
        try await daemon.start()
        chmod(daemon.socket, 0o666)  // an operator's mistake: the credential check still holds
        let stranger = try await daemon.pacactl(
            ["status"], prefix: ["/usr/bin/setpriv", "--reuid", "nobody", "--regid", "nogroup", "--clear-groups"])
        #expect(stranger.status == 5, "not permitted")
        #expect(stranger.stderr.contains("may not use this daemon"), "\(stranger.stderr)")
        #expect(try await daemon.call(Methods.daemonStatus).state == .idle)
        await daemon.stop()
    }

    @Test(.enabled(if: canSwitchUser)) func membersOfTheSocketGroupGetIn() async throws {
        let daemon = try DaemonHarness(extraConfig: "socket_group: users")
        try await daemon.start()
        var info = stat()
        stat(daemon.socket, &info)
        #expect(info.st_mode & 0o777 == 0o660)
        #expect(info.st_gid == 100)
        let member = try await daemon.pacactl(
            ["status", "--json"], prefix: ["/usr/bin/setpriv", "--reuid", "nobody", "--regid", "nogroup", "--groups", "100"])
        #expect(member.status == 0, "\(member.stderr)")
        let outsider = try await daemon.pacactl(
            ["status"], prefix: ["/usr/bin/setpriv", "--reuid", "nobody", "--regid", "nogroup", "--clear-groups"])
        #expect(outsider.status == 3)  // the file mode stops it before the daemon sees it
        await daemon.stop()
    }
}

extension PeerCredentialTests {
    @Test(.enabled(if: canSwitchUser)) func aStrangerWhoSaysNothingIsDisconnected() async throws {
        let daemon = try DaemonHarness()
        try await daemon.start(["--stall-timeout", "0.3"])
        chmod(daemon.socket, 0o666)
        // A silent stranger: nc-like child as nobody that connects and waits; pacactl cannot do
        // that, so use python's socket module when it is there.
        let script = """
            import socket, sys
            s = socket.socket(socket.AF_UNIX)
            s.connect(sys.argv[1])
            s.settimeout(5)
            try:
                print(repr(s.recv(1)))
            except Exception as e:
                print("error", type(e).__name__, e)
            """
        let silent = try run(
            [
                "/usr/bin/setpriv", "--reuid", "nobody", "--regid", "nogroup", "--clear-groups", "/usr/bin/python3", "-c", script,
                daemon.socket,
            ])
        #expect(silent.status == 0, "\(silent.stderr)")
        #expect(silent.stdout.contains("b''"), "\(silent.stderr)")  // closed by the daemon, not timed out by the client
        await daemon.stop()
    }
}

/// Roles over the real socket, as another user (setpriv): what pacactl says and how it exits.
extension PeerCredentialTests {
    static let asNobodyInUsers = ["/usr/bin/setpriv", "--reuid", "nobody", "--regid", "nogroup", "--groups", "100"]

    @Test(.enabled(if: canSwitchUser)) func aReaderReadsAndIsRefusedTheRestWithExitStatus5() async throws {
        let daemon = try DaemonHarness(extraConfig: "socket_group: users\naccess:\n  read: [user:nobody]")
        try await daemon.start()
        let status = try await daemon.pacactl(["status"], prefix: Self.asNobodyInUsers)
        #expect(status.status == 0, "\(status.stderr)")
        let backup = try await daemon.pacactl(["backup", "now"], prefix: Self.asNobodyInUsers)
        #expect(backup.status == 5)
        #expect(backup.stderr.contains("backup.create needs the operate role") && backup.stderr.contains("has read"), "\(backup.stderr)")
        await daemon.stop()
    }

    @Test(.enabled(if: canSwitchUser)) func withoutAccessSocketGroupMembersOperateButDoNotDelete() async throws {
        let daemon = try DaemonHarness(extraConfig: "socket_group: users")
        daemon.write("a.txt", Array("alpha\n".utf8))
        try await daemon.start()
        let made = try await daemon.pacactl(["backup", "now", "--json"], prefix: Self.asNobodyInUsers)
        #expect(made.status == 0, "\(made.stderr)")
        let id = try #require(try await daemon.call(Methods.backupList).backups.first?.id)
        let deleted = try await daemon.pacactl(["backup", "delete", id], prefix: Self.asNobodyInUsers)
        #expect(deleted.status == 5, "\(deleted.stderr)")
        #expect(try await daemon.call(Methods.backupList).backups.count == 1)
        let reload = try await daemon.pacactl(["reload"], prefix: Self.asNobodyInUsers)
        #expect(reload.status == 5)
        await daemon.stop()
    }
}
