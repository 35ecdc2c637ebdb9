import Foundation
import PacaSystem
import PacaTestSupport
import Testing

@testable import PacaAge

/// Files sealed by ``AgeSealer`` open again, with pacad's reader and with the real `age`, and
/// every kind of damage is refused by name.
@Suite struct AgeSealerTests {
    static func seal(_ plain: [UInt8], to recipients: [AgeRecipient], piece: Int = 10_000) throws -> [UInt8] {
        var sealer = try AgeSealer(recipients: recipients)
        var file = sealer.header
        var start = 0
        while start < plain.count {
            let end = min(start + piece, plain.count)
            file += plain[start..<end].withUnsafeBytes { sealer.seal($0) }
            start = end
        }
        file += sealer.finish()
        #expect(UInt64(file.count) == sealer.encryptedSize(plaintext: UInt64(plain.count)))
        return file
    }

    static func open(_ file: [UInt8], with identities: [AgeIdentity]) throws(AgeError) -> [UInt8] {
        guard let payload = try AgePayload.open(prefix: file, isWhole: true, fileSize: UInt64(file.count), identities: identities) else {
            throw AgeError(.header, "incomplete")
        }
        var plain: [UInt8] = []
        for index in 0..<payload.chunkCount {
            let range = payload.sealedRange(ofChunk: index)
            plain += try payload.open(chunk: index, Array(file[Int(range.lowerBound)..<Int(range.upperBound)]))
        }
        #expect(UInt64(plain.count) == payload.plaintextSize)
        return plain
    }

    static func random(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }

    @Test(arguments: [0, 1, 65_535, 65_536, 65_537, 3 * 65_536, 200_000])
    func roundTripsAtChunkEdges(_ size: Int) throws {
        let identity = AgeIdentity.generate()
        let plain = Self.random(size, seed: UInt64(size))
        for piece in [1_000, 65_536, 70_000] {
            let file = try Self.seal(plain, to: [identity.recipient!], piece: piece)
            #expect(try Self.open(file, with: [identity]) == plain)
        }
    }

    @Test func anyOfSeveralRecipientsOpens() throws {
        let first = AgeIdentity.generate()
        let second = AgeIdentity.generate()
        let file = try Self.seal(Array("two keys".utf8), to: [first.recipient!, second.recipient!])
        #expect(try Self.open(file, with: [second]) == Array("two keys".utf8))
        #expect(try Self.open(file, with: [AgeIdentity.generate(), first]) == Array("two keys".utf8))
    }

    @Test func passphrasesStandAlone() throws {
        let file = try Self.seal(Array("secret".utf8), to: [.passphrase("correct horse", workFactor: 10)])
        #expect(try Self.open(file, with: [.passphrase("correct horse")]) == Array("secret".utf8))
        #expect(throws: AgeError(.noMatch, "the passphrase does not open this age file")) {
            try Self.open(file, with: [.passphrase("wrong")])
        }
        #expect(throws: AgeError.self) {
            try AgeSealer(recipients: [.passphrase("p", workFactor: 10), AgeIdentity.generate().recipient!])
        }
    }

    @Test func damageIsRefusedByKind() throws {
        let identity = AgeIdentity.generate()
        let plain = Self.random(150_000, seed: 7)
        let file = try Self.seal(plain, to: [identity.recipient!])
        let headerLength = try #require(try AgeHeader.parse(file, isWhole: true)).length
        func kind(_ damaged: [UInt8], _ identities: [AgeIdentity]? = nil) -> AgeError.Kind? {
            do {
                _ = try Self.open(damaged, with: identities ?? [identity])
                return nil
            } catch { return error.kind }
        }
        #expect(kind(file, [AgeIdentity.generate()]) == .noMatch)
        // A byte of each chunk, of the nonce, of the stanza's share, of the MAC.
        for offset in [headerLength + 3, headerLength + 16 + 10, headerLength + 16 + 65_552 + 5, file.count - 1] {
            var damaged = file
            damaged[offset] ^= 0x01
            #expect(kind(damaged) == .payload, "a flip at \(offset)")
        }
        var altered = file
        altered[headerLength - 5] = altered[headerLength - 5] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(kind(altered) == .header || kind(altered) == .headerMAC)
        // The version line changed: not an age file.
        var renamed = file
        renamed[0] = UInt8(ascii: "x")
        #expect(kind(renamed) == .header)
        // Cut at a chunk boundary, cut inside a chunk, extended, emptied.
        #expect(kind(Array(file[..<(headerLength + 16 + 65_552)])) == .payload)
        #expect(kind(Array(file[..<(file.count - 100)])) == .payload)
        #expect(kind(file + [0]) == .payload)
        #expect(kind([]) == .header)
        #expect(kind(Array(file[..<(headerLength + 8)])) == .header)
    }

    @Test func keysParseAndRefuseByName() throws {
        let identity = AgeIdentity.generate()
        let text = try #require(identity.fileText(created: "2026-12-05T00:00:00Z"))
        let parsed = try AgeIdentity.parseFile(text, name: "key.txt")
        #expect(parsed.count == 1)
        #expect(parsed[0].recipient?.text == identity.recipient?.text)
        let recipient = try #require(identity.recipient?.text)
        #expect(recipient.hasPrefix("age1") && recipient.count == 62)
        #expect(try AgeRecipient.parse(recipient).text == recipient)
        var typo = Array(recipient)
        typo[10] = typo[10] == "q" ? "p" : "q"
        #expect(throws: AgeError.self) { try AgeRecipient.parse(String(typo)) }
        #expect(throws: AgeError.self) { try AgeRecipient.parse("ssh-ed25519 AAAA") }
        do {
            _ = try AgeIdentity.parseFile("# nothing\n\n", name: "empty.txt")
            Issue.record("an identity file without a key was accepted")
        } catch {
            #expect(error.message == "empty.txt holds no age identity")
        }
        do {
            _ = try AgeIdentity.parseFile(text.lowercased(), name: "key.txt")
            Issue.record("a lower-case identity was accepted")
        } catch {
            #expect(error.message.hasPrefix("key.txt line 3"))
            #expect(!error.message.contains("age-secret-key-1"))
        }
        let recipients = try AgeRecipient.parseFile("# team\n\(recipient)\n\n", name: "recipients.txt")
        #expect(recipients.count == 1)
    }
}

/// Interoperability with the real `age` (Debian's package): both directions.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/age"), "needs /usr/bin/age (make test-deps)"))
struct AgeInteropTests {
    /// Runs a stock tool on a thread of its own, never on the cooperative pool.
    static func tool(_ command: [String]) async throws -> Output {
        try await SystemThread.run { Result { try PacaTestSupport.run(command) } }.get()
    }

    @Test(arguments: [0, 5, 65_536, 300_000])
    func ageOpensWhatPacadSeals(_ size: Int) async throws {
        let folder = TemporaryFolder()
        let identity = AgeIdentity.generate()
        folder.write("key.txt", try #require(identity.fileText(created: "now")), mode: 0o600)
        let plain = AgeSealerTests.random(size, seed: 11)
        folder.write("file.age", try AgeSealerTests.seal(plain, to: [AgeIdentity.generate().recipient!, identity.recipient!]))
        let result = try await Self.tool([
            "/usr/bin/age", "-d", "-i", folder.sub("key.txt"), "-o", folder.sub("plain"), folder.sub("file.age"),
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect((folder.read("plain") ?? []) == plain)  // age writes no file for an empty payload
    }

    @Test(arguments: [0, 5, 65_536, 300_000])
    func pacadOpensWhatAgeSeals(_ size: Int) async throws {
        let folder = TemporaryFolder()
        let keygen = try await Self.tool(["/usr/bin/age-keygen", "-o", folder.sub("key.txt")])
        #expect(keygen.status == 0, "\(keygen.stderr)")
        let identities = try AgeIdentity.parseFile(String(decoding: folder.read("key.txt") ?? [], as: UTF8.self), name: "key.txt")
        let recipient = try #require(identities.first?.recipient?.text)
        let plain = AgeSealerTests.random(size, seed: 13)
        folder.write("plain", plain)
        let encrypted = try await Self.tool(["/usr/bin/age", "-r", recipient, "-o", folder.sub("file.age"), folder.sub("plain")])
        #expect(encrypted.status == 0, "\(encrypted.stderr)")
        #expect(try AgeSealerTests.open(try #require(folder.read("file.age")), with: identities) == plain)
    }
}
