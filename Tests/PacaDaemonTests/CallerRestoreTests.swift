import Foundation
import PacaArchive
import PacaCore
import PacaProtocol
import PacaTestSupport
import Testing

@testable import PacaDaemon

/// Restores written by the caller's own pacactl: pacad serves only what the caller could have
/// read, the files belong to the caller, and nobody writes where they could not.
@Suite(.serialized) struct CallerRestoreTests {
    static var canSwitchUser: Bool { getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") }
    static let asNobody = ["/usr/bin/setpriv", "--reuid", "nobody", "--regid", "nogroup", "--groups", "100"]

    /// Through the router as uid 2002: the bytes of a root-only file's entry read as zeroes,
    /// everything else of the archive comes through as it is on the target.
    @Test func bytesTheCallerCouldNotReadAreZeroes() async throws {
        let daemon = try InProcessDaemon()
        daemon.write("open.txt", Array(repeating: UInt8(ascii: "o"), count: 5000), mode: 0o644)
        daemon.write("secret.txt", (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 7) }, mode: 0o600)
        try await daemon.run { running in
            let made = try await daemon.call(Methods.backupCreate, BackupCreateParams())
            guard case .finished(let backup) = made else {
                Issue.record("the backup did not finish: \(made)")
                return
            }
            let policy = AccessPolicy(ownUID: 999, groupID: 100)
            let caller = Caller(uid: 2002, gid: 2002, groups: [100])
            func call(_ method: String, _ params: [String: JSONValue]) async -> RPCResponse {
                await running.router.reply(to: RPCRequest(id: .number(1), method: method, params: params), caller: caller, policy: policy) {
                    _ in
                }
            }
            let opened = try RestoreSession(wire: try #require(await call(Methods.restoreOpen.name, ["id": .string(backup.id)]).value))
            #expect(opened.restricted && opened.uid == 2002 && opened.groups == [2002, 100])
            let archive = try #require(opened.archives.first)
            var served: [UInt8] = []
            while UInt64(served.count) < archive.size {
                let reply = await call(
                    Methods.restoreRead.name,
                    [
                        "session": .string(opened.session), "backup": .string(archive.backup), "offset": .int(Int64(served.count)),
                        "length": 4096,
                    ])
                let bytes = try RestoreBytes(wire: try #require(reply.value, "\(reply)"))
                served += try #require(Base64.decode(bytes.data))
            }
            let real = Array(try Data(contentsOf: URL(fileURLWithPath: backup.path)))
            #expect(served.count == real.count)
            let reader = try ArchiveReader(path: backup.path)
            let secret = try #require(reader.entries.first { $0.path.hasSuffix("secret.txt") })
            let after = reader.entries.map(\.localHeaderOffset).filter { $0 > secret.localHeaderOffset }.min() ?? reader.directoryOffset
            let differing = served.indices.filter { served[$0] != real[$0] }
            #expect(!differing.isEmpty, "the secret's bytes were served")
            #expect(differing.allSatisfy { UInt64($0) >= secret.localHeaderOffset && UInt64($0) < after })
            #expect(served[Int(secret.localHeaderOffset)..<Int(after)].allSatisfy { $0 == 0 })
            // Past the end, a read is short; a session of another uid is not there.
            let end = await call(
                Methods.restoreRead.name,
                ["session": .string(opened.session), "backup": .string(archive.backup), "offset": .int(Int64(archive.size)), "length": 10])
            #expect(try RestoreBytes(wire: try #require(end.value)).length == 0)
            let tooLong = await call(
                Methods.restoreRead.name,
                ["session": .string(opened.session), "backup": .string(archive.backup), "offset": 0, "length": .int(5 << 20)])
            #expect(tooLong.failure?.code == RPCErrorCode.invalidParams.rawValue)
            _ = await call(Methods.restoreClose.name, ["session": .string(opened.session)])
            let gone = await call(
                Methods.restoreRead.name,
                ["session": .string(opened.session), "backup": .string(archive.backup), "offset": 0, "length": 10])
            #expect(gone.failure?.code == RPCErrorCode.notFound.rawValue)
        }
    }

    /// On the socket, `binary` reads come as a reply announcing `attached` bytes and then one raw
    /// frame of exactly those bytes, the archive's own; base64 reads of the same range agree, and
    /// the stream stays in step for the calls after them.
    @Test func binaryReadsFollowTheirReplyAsOneRawFrame() async throws {
        let daemon = try DaemonHarness()
        daemon.write("a.bin", (0..<300_000).map { _ in UInt8.random(in: 0...255) })  // stored, not deflated: the archive is larger
        try await daemon.start()
        let backup = try await daemon.call(Methods.backupCreate, BackupCreateParams())
        guard case .finished(let record) = backup else {
            Issue.record("the backup did not finish: \(backup)")
            return
        }
        let real = Array(try Data(contentsOf: URL(fileURLWithPath: record.path)))
        try #require(real.count > 300_000)
        let client = try RawClient(daemon.socket)
        let opened = try client.call("restore.open", ["id": record.id])
        let result = try #require(opened["result"] as? [String: Any], "\(opened)")
        let session = try #require(result["session"] as? String)
        for (offset, length) in [(0, 70_000), (12_345, 1), (real.count - 100, 4096)] {
            let params: [String: Any] = ["session": session, "backup": record.id, "offset": offset, "length": length]
            let reply = try client.call("restore.read", params.merging(["binary": true]) { $1 })
            let announced = try #require(reply["result"] as? [String: Any], "\(reply)")
            let expected = Array(real[offset..<min(offset + length, real.count)])
            #expect(announced["attached"] as? Int == expected.count && announced["length"] as? Int == expected.count)
            #expect(announced["data"] as? String == "")
            #expect(client.receiveRaw() == expected)
            let plain = try client.call("restore.read", params)
            let encoded = try #require((plain["result"] as? [String: Any])?["data"] as? String)
            #expect(Base64.decode(encoded) == expected)
            #expect((plain["result"] as? [String: Any])?["attached"] == nil)
        }
        let closed = try client.call("restore.close", ["session": session])
        #expect((closed["result"] as? [String: Any])?["reads"] as? Int == 6)
        await daemon.stop()
    }

    /// pacactl as nobody (in the socket group): an incremental backup restores into nobody's own
    /// folder with nobody's ownership; a root-only file and a folder nobody could not enter are
    /// left out and listed; a folder nobody cannot write is refused by the kernel; root restores
    /// everything with its owners.
    @Test(.enabled(if: canSwitchUser)) func pacactlRestoresAsTheCaller() async throws {
        let daemon = try DaemonHarness(extraConfig: "socket_group: users")
        daemon.write("open.txt", Array("anyone may read this\n".utf8), mode: 0o644)
        daemon.write("secret.txt", Array("root only\n".utf8), mode: 0o600)
        daemon.write("private/inner.txt", Array("inside a closed folder\n".utf8), mode: 0o644)
        chmod(daemon.source + "/private", 0o700)
        daemon.write("group.txt", Array("for group users\n".utf8), mode: 0o640)
        chown(daemon.source + "/group.txt", 0, 100)
        _ = symlink("open.txt", daemon.source + "/link")
        try await daemon.start()
        _ = try await daemon.pacactl(["backup", "now"])
        daemon.write("later.txt", Array("written after the first backup\n".utf8), mode: 0o644)
        let second = try await daemon.pacactl(["backup", "now", "--json"])
        #expect(second.status == 0, "\(second.stderr)")
        let id = try #require((second.json["backup"] as? [String: Any])?["id"] as? String ?? second.json["id"] as? String)

        let home = daemon.root + "/home-nobody"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: false)
        chown(home, 65534, 65534)
        let restored = try await daemon.pacactl(["restore", id, "--to", home + "/r"], prefix: Self.asNobody)
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(restored.stderr.contains("left out 2 entries"), "\(restored.stderr)")
        #expect(restored.stderr.contains("source/private\n") && restored.stderr.contains("source/secret.txt\n"))
        let out = home + "/r/source"
        #expect(try String(contentsOfFile: out + "/open.txt", encoding: .utf8) == "anyone may read this\n")
        #expect(try String(contentsOfFile: out + "/later.txt", encoding: .utf8) == "written after the first backup\n")
        #expect(try String(contentsOfFile: out + "/group.txt", encoding: .utf8) == "for group users\n")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: out + "/link") == "open.txt")
        #expect(!FileManager.default.fileExists(atPath: out + "/secret.txt"))
        #expect(!FileManager.default.fileExists(atPath: out + "/private"))
        var info = stat()
        #expect(stat(out + "/open.txt", &info) == 0 && info.st_uid == 65534, "the caller owns what it restored")
        #expect(stat(out + "/group.txt", &info) == 0 && info.st_uid == 65534)

        // A folder nobody may not write: the kernel says no, nothing is written there.
        let closed = daemon.root + "/roots-only"
        try FileManager.default.createDirectory(atPath: closed, withIntermediateDirectories: false)
        chmod(closed, 0o755)
        let refused = try await daemon.pacactl(["restore", id, "--to", closed + "/r"], prefix: Self.asNobody)
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(refused.stderr.contains("Permission denied"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: closed + "/r"))

        // Root takes everything, owners included.
        let all = try await daemon.pacactl(["restore", id, "--to", daemon.root + "/as-root"])
        #expect(all.status == 0, "\(all.stderr)")
        #expect(!all.stderr.contains("left out"))
        #expect(treeSnapshot(daemon.root + "/as-root/source") == treeSnapshot(daemon.source))
        #expect(stat(daemon.root + "/as-root/source/group.txt", &info) == 0 && info.st_gid == 100)
        await daemon.stop()
    }
}
