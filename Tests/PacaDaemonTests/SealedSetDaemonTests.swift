import Foundation
import PacaProtocol
import PacaSystem
import PacaTestSupport
import Testing

/// A set with `encryption:` through the real pacad and pacactl: archives stored as age files that
/// stock `age` and `unzip` open, that pacad checks without a key and never reads, that pacactl
/// restores with `--identity`, incrementally and after a catalog rebuild.
@Suite(.serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/age"), "needs /usr/bin/age (make test-deps)"))
struct SealedSetDaemonTests {
    static func tool(_ command: [String]) async throws -> Output {
        try await SystemThread.run { Result { try PacaTestSupport.run(command) } }.get()
    }

    /// A daemon whose set `data` is sealed to a key made by `pacactl key new` and a break-glass
    /// key made by `age-keygen`; returns it with the two identity files.
    static func sealedDaemon(_ label: String = #function) async throws -> (DaemonHarness, key: String, breakGlass: String) {
        let daemon = try DaemonHarness(label)
        let key = daemon.root + "/key.txt"
        let made = try await tool([Binaries.pacactl, "key", "new", "--out", key])
        #expect(made.status == 0, "\(made.stderr)")
        let recipient = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let breakGlass = daemon.root + "/break-glass.txt"
        let generated = try await tool(["/usr/bin/age-keygen", "-o", breakGlass])
        #expect(generated.status == 0, "\(generated.stderr)")
        let other = try await tool(["/usr/bin/age-keygen", "-y", breakGlass])
        try ("# offline, in the safe\n" + other.stdout).write(toFile: daemon.root + "/recipients.txt", atomically: true, encoding: .utf8)
        try daemon.writeConfig(
            sets: """
                  data:
                    paths: [\(daemon.source)]
                    targets: [local]
                    encryption: {recipients: [\(recipient)], recipients_file: \(daemon.root)/recipients.txt}
                """)
        daemon.write("datasets/secret-name-shard.jsonl", Array(String(repeating: "{\"label\": \"cat\"}\n", count: 4000).utf8))
        daemon.write("configs/run.yaml", Array("learning_rate: 0.001\n".utf8))
        daemon.write("checkpoints/step-100.pt", (0..<300_000).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 13) })
        return (daemon, key, breakGlass)
    }

    @Test func sealedArchivesOpenWithStockToolsAndNotWithoutAKey() async throws {
        let (daemon, key, breakGlass) = try await Self.sealedDaemon()
        try await daemon.start()
        let made = try await daemon.pacactl(["backup", "now", "--json"])
        #expect(made.status == 0, "\(made.stderr)")
        let id = try #require(made.json["id"] as? String)
        #expect(made.json["sealed"] as? Bool == true)
        #expect(made.json["files"] as? Int == 3)
        let stored = daemon.target + "/data/\(id).zip.age"
        #expect(!FileManager.default.fileExists(atPath: daemon.target + "/data/\(id).zip"))
        let bytes = try #require(FileManager.default.contents(atPath: stored))
        #expect(String(decoding: bytes.prefix(22), as: UTF8.self) == "age-encryption.org/v1\n")
        for name in ["secret-name-shard", "run.yaml", "learning_rate", "manifest.json", "PK\u{03}\u{04}", "cat"] {
            #expect(bytes.firstRange(of: Data(name.utf8)) == nil, "\(name) is readable in the sealed archive")
        }
        let summed = try await Self.tool(["/bin/sh", "-c", "cd '\(daemon.target)/data' && sha256sum -c \(id).zip.age.sha256"])
        #expect(summed.status == 0, "\(summed.stdout) \(summed.stderr)")
        // Either identity opens it with the stock tools, on a machine that never saw pacad.
        for identity in [key, breakGlass] {
            let plain = daemon.root + "/plain-\(identity.hasSuffix("key.txt") ? "a" : "b").zip"
            let decrypted = try await Self.tool(["/usr/bin/age", "-d", "-i", identity, "-o", plain, stored])
            #expect(decrypted.status == 0, "\(decrypted.stderr)")
            let out = plain + ".d"
            let unzipped = try await Self.tool(["/usr/bin/unzip", "-q", plain, "-d", out])
            #expect(unzipped.status == 0, "\(unzipped.stderr)")
            #expect(treeSnapshot(out + "/source") == treeSnapshot(daemon.source))
        }

        let verified = try await daemon.pacactl(["backup", "verify", id])
        #expect(verified.status == 0, "\(verified.stdout) \(verified.stderr)")
        #expect(verified.stdout.contains("contents were not checked"), "\(verified.stdout)")
        let verifiedJSON = try await daemon.pacactl(["backup", "verify", id, "--json"])
        #expect(verifiedJSON.json["sealed"] as? Bool == true && verifiedJSON.json["contents_checked"] as? Bool == false)

        let withoutKey = try await daemon.pacactl(["restore", id, "--to", daemon.root + "/r0"])
        #expect(withoutKey.status != 0)
        #expect(withoutKey.stderr.contains("--identity"), "\(withoutKey.stderr)")
        let byDaemon = try await daemon.pacactl(["restore", id, "--to", daemon.root + "/r0", "--by-daemon"])
        #expect(byDaemon.status != 0 && byDaemon.stderr.contains("--identity"), "\(byDaemon.stderr)")
        let stranger = daemon.root + "/stranger.txt"
        #expect(try await Self.tool(["/usr/bin/age-keygen", "-o", stranger]).status == 0)
        let wrongKey = try await daemon.pacactl(["restore", id, "--to", daemon.root + "/r1", "--identity", stranger])
        #expect(wrongKey.status != 0)
        #expect(wrongKey.stderr.contains("identit"), "\(wrongKey.stderr)")
        #expect(!FileManager.default.fileExists(atPath: daemon.root + "/r1/source"))

        let restored = try await daemon.pacactl(["restore", id, "--to", daemon.root + "/r2", "--identity", key])
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(treeSnapshot(daemon.root + "/r2/source") == treeSnapshot(daemon.source))

        // With the identity, pacactl decrypts what pacad serves and checks every entry.
        let deep = try await daemon.pacactl(["backup", "verify", id, "--identity", key, "--json"])
        #expect(deep.status == 0, "\(deep.stdout) \(deep.stderr)")
        #expect(deep.json["contents_checked"] as? Bool == true && deep.json["entries"] as? Int ?? 0 >= 3, "\(deep.stdout)")
        #expect(deep.json["catalog"] as? String == "ok")
        let strangerVerify = try await daemon.pacactl(["backup", "verify", id, "--identity", stranger])
        #expect(strangerVerify.status != 0 && strangerVerify.stderr.contains("identit"), "\(strangerVerify.stderr)")

        // A flipped byte inside the payload: pacad's check fails on the stored bytes, and a
        // restore with the key stops at the chunk that does not decrypt.
        var damaged = bytes
        damaged[damaged.count / 2] ^= 0x20
        try damaged.write(to: URL(fileURLWithPath: stored))
        let bad = try await daemon.pacactl(["backup", "verify", id])
        #expect(bad.status == 1, "\(bad.stdout)")
        let badRestore = try await daemon.pacactl(["restore", id, "--to", daemon.root + "/r3", "--identity", key])
        #expect(badRestore.status != 0)
        #expect(badRestore.stderr.contains("decrypt"), "\(badRestore.stderr)")

        let log = daemon.log() + (try String(contentsOfFile: daemon.root + "/state/audit.log", encoding: .utf8))
        #expect(!log.contains("AGE-SECRET-KEY"))
        #expect(!log.contains("secret-name-shard"))
        #expect(await daemon.stop() == 0)
    }

    /// A sealed set with one recipient loads, with a warning from `--check-config` and in the
    /// journal at start, that names the break-glass advice.
    @Test func aSingleRecipientIsWarnedAbout() async throws {
        let daemon = try DaemonHarness()
        let recipient = try await Self.tool([Binaries.pacactl, "key", "new", "--out", daemon.root + "/key.txt"]).stdout
        try daemon.writeConfig(
            sets: """
                  data:
                    paths: [\(daemon.source)]
                    encryption: {recipients: [\(recipient.trimmingCharacters(in: .whitespacesAndNewlines))]}
                """)
        let checked = try await Self.tool([Binaries.pacad, "--check-config", daemon.configPath])
        #expect(checked.status == 0, "\(checked.stderr)")
        #expect(checked.stdout.contains("warning: sets.data.encryption: one recipient only"), "\(checked.stdout)")
        #expect(checked.stdout.contains("break-glass"))
        try await daemon.start()
        #expect(daemon.log().contains("configuration warning"), "\(daemon.log())")
        #expect(await daemon.stop() == 0)
    }

    /// A set sealed to a passphrase (age's scrypt recipient) restores with `--passphrase-file`,
    /// and not with another passphrase.
    @Test func aPassphraseSetRestoresWithThePassphraseFile() async throws {
        let daemon = try DaemonHarness()
        let passphrase = daemon.root + "/passphrase"
        try "correct horse battery staple\n".write(toFile: passphrase, atomically: true, encoding: .utf8)
        chmod(passphrase, 0o600)
        try daemon.writeConfig(
            sets: """
                  data:
                    paths: [\(daemon.source)]
                    encryption: {passphrase_file: \(passphrase)}
                """)
        daemon.write("configs/run.yaml", Array("learning_rate: 0.001\n".utf8))
        try await daemon.start()
        let made = try await daemon.pacactl(["backup", "now", "--json"])
        let id = try #require(made.json["id"] as? String, "\(made.stderr)")
        let stored = try #require(FileManager.default.contents(atPath: daemon.target + "/data/\(id).zip.age"))
        #expect(stored.firstRange(of: Data("-> scrypt ".utf8)) != nil)
        let wrong = daemon.root + "/wrong"
        try "tr0ub4dor&3\n".write(toFile: wrong, atomically: true, encoding: .utf8)
        chmod(wrong, 0o600)
        let refused = try await daemon.pacactl(["restore", id, "--to", daemon.root + "/r0", "--passphrase-file", wrong])
        #expect(refused.status != 0)
        let restored = try await daemon.pacactl(["restore", id, "--to", daemon.root + "/r", "--passphrase-file", passphrase])
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(treeSnapshot(daemon.root + "/r/source") == treeSnapshot(daemon.source))
        #expect(!daemon.log().contains("horse"))
        #expect(await daemon.stop() == 0)
    }

    /// Retention removes a sealed archive and its sidecar under their `.zip.age` names.
    @Test func retentionRemovesSealedArchives() async throws {
        let (daemon, key, _) = try await Self.sealedDaemon()
        let config = try String(contentsOfFile: daemon.configPath, encoding: .utf8)
        try (config + "\n    retention: {keep_last: 1}\n").write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
        try await daemon.start()
        let first = try await daemon.pacactl(["backup", "now", "--json"])
        let firstID = try #require(first.json["id"] as? String, "\(first.stderr)")
        daemon.write("configs/run.yaml", Array("learning_rate: 0.01\n".utf8))
        let second = try await daemon.pacactl(["backup", "now", "--full", "--json"])
        let secondID = try #require(second.json["id"] as? String, "\(second.stderr)")
        #expect(second.json["type"] as? String == "full")
        #expect(try await daemon.pacactl(["prune"]).status == 0)
        let left = try FileManager.default.contentsOfDirectory(atPath: daemon.target + "/data").sorted()
        #expect(left == ["\(secondID).zip.age", "\(secondID).zip.age.sha256"], "\(left)")
        #expect(try await daemon.pacactl(["backup", "show", firstID]).status == 4)
        let restored = try await daemon.pacactl(["restore", secondID, "--to", daemon.root + "/r", "--identity", key])
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(treeSnapshot(daemon.root + "/r/source") == treeSnapshot(daemon.source))
        #expect(await daemon.stop() == 0)
    }

    /// The second backup stores only what changed, next to the first's sealed archive; pacactl
    /// follows the reference through both encrypted archives. After the catalog is lost, a
    /// rebuild knows them by name and sidecar (files unknown, unverified) and they still restore.
    @Test func incrementalSealedBackupsRestoreAndSurviveACatalogRebuild() async throws {
        let (daemon, key, _) = try await Self.sealedDaemon()
        try await daemon.start()
        let first = try await daemon.pacactl(["backup", "now", "--json"])
        #expect(first.status == 0, "\(first.stderr)")
        let firstID = try #require(first.json["id"] as? String)
        daemon.write("configs/run.yaml", Array("learning_rate: 0.0003\n".utf8))
        daemon.write("logs/epoch-2.log", Array("loss 0.31\n".utf8))
        let second = try await daemon.pacactl(["backup", "now", "--json"])
        #expect(second.status == 0, "\(second.stderr)")
        let secondID = try #require(second.json["id"] as? String)
        #expect(second.json["type"] as? String == "incremental")
        #expect(second.json["references"] as? [String] == [firstID])
        #expect((second.json["bytes_written"] as? Int ?? .max) < 1000, "\(second.json)")
        let restored = try await daemon.pacactl(["restore", secondID, "--to", daemon.root + "/r", "--identity", key])
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(treeSnapshot(daemon.root + "/r/source") == treeSnapshot(daemon.source))
        let deep = try await daemon.pacactl(["backup", "verify", secondID, "--deep", "--identity", key])
        #expect(deep.status == 0, "\(deep.stdout) \(deep.stderr)")
        #expect(deep.stdout.contains("decrypted and checked here"), "\(deep.stdout)")

        #expect(await daemon.stop() == 0)
        for name in try FileManager.default.contentsOfDirectory(atPath: daemon.root + "/state") where name.hasPrefix("catalog") {
            try FileManager.default.removeItem(atPath: daemon.root + "/state/" + name)
        }
        try await daemon.start()
        let rebuilt = try await daemon.pacactl(["catalog", "rebuild", "--target", "local", "--json"])
        #expect(rebuilt.status == 0, "\(rebuilt.stdout) \(rebuilt.stderr)")
        #expect(Set(rebuilt.json["added"] as? [String] ?? []) == [firstID, secondID], "\(rebuilt.stdout)")
        let shown = try await daemon.pacactl(["backup", "show", secondID, "--json"])
        #expect(shown.json["sealed"] as? Bool == true)
        #expect(shown.json["status"] as? String == "unverified")
        #expect((shown.json["reason"] as? String)?.contains("not known to pacad") == true)
        // Verifying stored bytes against a sidecar the target itself holds makes no restore point.
        #expect(try await daemon.pacactl(["backup", "verify", secondID]).status == 0)
        let after = try await daemon.pacactl(["backup", "show", secondID, "--json"])
        #expect(after.json["status"] as? String == "unverified")
        let again = try await daemon.pacactl(["restore", secondID, "--to", daemon.root + "/r-again", "--identity", key])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(treeSnapshot(daemon.root + "/r-again/source") == treeSnapshot(daemon.source))

        // With the identity, a rebuild also learns files and references from the decrypted manifests.
        #expect(await daemon.stop() == 0)
        for name in try FileManager.default.contentsOfDirectory(atPath: daemon.root + "/state") where name.hasPrefix("catalog") {
            try FileManager.default.removeItem(atPath: daemon.root + "/state/" + name)
        }
        try await daemon.start()
        let withKey = try await daemon.pacactl(["catalog", "rebuild", "--target", "local", "--identity", key])
        #expect(withKey.status == 0, "\(withKey.stdout) \(withKey.stderr)")
        #expect(withKey.stdout.contains("2 sealed backup(s) described"), "\(withKey.stdout)")
        let described = try await daemon.pacactl(["backup", "show", secondID, "--json"]).json
        #expect(described["files"] as? Int == 4)
        #expect(described["references"] as? [String] == [firstID])
        #expect(described["type"] as? String == "incremental")
        #expect(described["status"] as? String == "unverified")
        #expect(described["manifest_sha256"] as? String == second.json["manifest_sha256"] as? String)
        // A description that names a backup the catalog does not know is refused.
        var bogus = ["id": secondID, "manifest_sha256": String(repeating: "a", count: 64), "files": 1, "bytes_in": 1] as [String: Any]
        bogus.merge(["bytes_written": 1, "files_referenced": 0, "bytes_referenced": 0, "references": ["20990101T000000Z-data-ffff"]]) {
            first, _ in first
        }
        let refused = try RawClient(daemon.socket)
        refused.sendJSON(["jsonrpc": "2.0", "id": 1, "method": Methods.catalogDescribe.name, "params": bogus])
        let answer = try #require(refused.receive())
        #expect(((answer["error"] as? [String: Any])?["message"] as? String)?.contains("is not a cataloged backup of set data") == true)
        #expect(await daemon.stop() == 0)
    }
}
