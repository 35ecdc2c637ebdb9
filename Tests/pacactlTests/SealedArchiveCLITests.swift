import Foundation
import PacaSystem
import PacaTestSupport
import Testing

/// `pacactl archive create --recipient` and the commands that read sealed archives, against the
/// real `age`, `unzip` and `sha256sum`.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/age"), "needs /usr/bin/age (make test-deps)"))
struct SealedArchiveCLITests {
    /// Runs a stock tool on a thread of its own, as ``CLI/run(_:prefix:)`` runs pacactl.
    static func tool(_ command: [String]) async throws -> Output {
        try await SystemThread.run { Result { try PacaTestSupport.run(command) } }.get()
    }

    /// A tree, a key made by `pacactl key new`, and the tree sealed to it (and to a second key).
    static func sealed() async throws -> (folder: TemporaryFolder, recipient: String) {
        let s = TemporaryFolder()
        s.write("ws/config.yaml", "learning_rate: 0.001\n")
        var state: UInt64 = 42
        s.write(
            "ws/data/secret-name-shard.bin",
            (0..<200_000).map { _ in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return UInt8(truncatingIfNeeded: state >> 33)
            })
        let key = try await CLI.run(["key", "new", "--out", s.sub("key.txt")])
        #expect(key.status == 0, "\(key.stderr)")
        let recipient = key.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(recipient.hasPrefix("age1"))
        #expect(key.stderr.contains("offline"))
        #expect(!key.stdout.contains("AGE-SECRET-KEY") && !key.stderr.contains("AGE-SECRET-KEY"))
        let mode = try FileManager.default.attributesOfItem(atPath: s.sub("key.txt"))[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let other = try await CLI.run(["key", "new"])
        s.write("recipients.txt", "# break-glass\n" + (other.stderr.components(separatedBy: "Public key: ").last ?? ""))
        let create = try await CLI.run([
            "archive", "create", s.sub("x.zip.age"), s.sub("ws"), "--recipient", recipient, "--recipients-file", s.sub("recipients.txt"),
            "--json",
        ])
        #expect(create.status == 0, "\(create.stderr)")
        return (s, recipient)
    }

    @Test func stockToolsRestoreWhatPacactlSealed() async throws {
        let (s, _) = try await Self.sealed()
        let stored = try #require(s.read("x.zip.age"))
        #expect(String(decoding: stored.prefix(22), as: UTF8.self) == "age-encryption.org/v1\n")
        for name in ["config.yaml", "secret-name-shard", "learning_rate", "manifest.json", "PK\u{03}\u{04}"] {
            #expect(stored.firstRange(of: Array(name.utf8)) == nil, "\(name) is readable in the sealed archive")
        }
        let check = try await Self.tool(["/bin/sh", "-c", "cd '\(s.path)' && sha256sum -c x.zip.age.sha256"])
        #expect(check.status == 0, "\(check.stdout) \(check.stderr)")
        let decrypted = try await Self.tool(["/usr/bin/age", "-d", "-i", s.sub("key.txt"), "-o", s.sub("x.zip"), s.sub("x.zip.age")])
        #expect(decrypted.status == 0, "\(decrypted.stderr)")
        let unzipped = try await Self.tool(["/usr/bin/unzip", "-q", s.sub("x.zip"), "-d", s.sub("unzipped")])
        #expect(unzipped.status == 0, "\(unzipped.stderr)")
        #expect(treeSnapshot(s.sub("unzipped/ws")) == treeSnapshot(s.sub("ws")))
    }

    @Test func pacactlReadsItWithAnIdentityAndNamesTheOptionWithout() async throws {
        let (s, _) = try await Self.sealed()
        let extract = try await CLI.run(["archive", "extract", s.sub("x.zip.age"), "--to", s.sub("out"), "--identity", s.sub("key.txt")])
        #expect(extract.status == 0, "\(extract.stderr)")
        #expect(treeSnapshot(s.sub("out/ws")) == treeSnapshot(s.sub("ws")))
        let list = try await CLI.run(["archive", "ls", s.sub("x.zip.age"), "--identity", s.sub("key.txt")])
        #expect(list.status == 0 && list.stdout.contains("ws/config.yaml"), "\(list.stderr)")
        let verify = try await CLI.run(["archive", "verify", s.sub("x.zip.age"), "--identity", s.sub("key.txt"), "--json"])
        #expect(verify.status == 0, "\(verify.stdout)")
        #expect(verify.json["sealed"] as? Bool == true && verify.json["contents_checked"] as? Bool == true)
        #expect(verify.json["entries"] as? Int == 5)

        let blind = try await CLI.run(["archive", "verify", s.sub("x.zip.age")])
        #expect(blind.status == 0, "\(blind.stdout)")
        #expect(blind.stdout.contains("contents were not checked") && blind.stdout.contains("--identity"))
        for command in [["archive", "extract", s.sub("x.zip.age"), "--to", s.sub("none")], ["archive", "ls", s.sub("x.zip.age")]] {
            let refused = try await CLI.run(command)
            #expect(refused.status == 2, "\(command)")
            #expect(refused.stderr.contains("encrypted with age") && refused.stderr.contains("--identity"), "\(refused.stderr)")
        }
        let otherKey = try await CLI.run(["key", "new", "--out", s.sub("other.txt")])
        #expect(otherKey.status == 0)
        let wrong = try await CLI.run(["archive", "extract", s.sub("x.zip.age"), "--to", s.sub("w"), "--identity", s.sub("other.txt")])
        #expect(wrong.status == 2)
        #expect(wrong.stderr.contains("no identity given opens"), "\(wrong.stderr)")
        #expect(!s.exists("w/ws"))
    }

    @Test func damageIsRefusedAndNothingWrongIsWritten() async throws {
        let (s, _) = try await Self.sealed()
        var stored = try #require(s.read("x.zip.age"))
        stored[stored.count - 70_000] ^= 0x10
        s.write("damaged.zip.age", stored)
        let verify = try await CLI.run(["archive", "verify", s.sub("damaged.zip.age"), "--identity", s.sub("key.txt")])
        #expect(verify.status != 0)
        let extract = try await CLI.run([
            "archive", "extract", s.sub("damaged.zip.age"), "--to", s.sub("out"), "--identity", s.sub("key.txt"),
        ])
        #expect(extract.status != 0)
        #expect(extract.stderr.contains("does not decrypt"), "\(extract.stderr)")
        let written = FileManager.default.contents(atPath: s.sub("out/ws/data/secret-name-shard.bin"))
        #expect(written == nil || written == FileManager.default.contents(atPath: s.sub("ws/data/secret-name-shard.bin")))
        let truncated = try #require(s.read("x.zip.age")).dropLast(65_552)
        s.write("cut.zip.age", Array(truncated))
        let cut = try await CLI.run(["archive", "ls", s.sub("cut.zip.age"), "--identity", s.sub("key.txt")])
        #expect(cut.status != 0)
        #expect(cut.stderr.contains("truncated") || cut.stderr.contains("does not decrypt"), "\(cut.stderr)")
        let plain = try await CLI.run(["archive", "create", s.sub("bad.zip.age"), s.sub("ws"), "--recipient", "age1notakey"])
        #expect(plain.status == 2)
        #expect(plain.stderr.contains("age1notakey"), "\(plain.stderr)")
        #expect(!s.exists("bad.zip.age"))
    }
}
