import Foundation
import PacaAge
import PacaConfig
import PacaTestSupport
import Testing

/// `encryption:` of a set: recipients inline and from a file, a passphrase file alone, and every
/// mistake named without quoting a secret.
@Suite struct EncryptionConfigTests {
    static let first = AgeIdentity.generate().recipient!.text!
    static let second = AgeIdentity.generate().recipient!.text!

    static func set(_ encryption: String, more: String = "") -> String {
        "    paths: [/srv/a]\n    encryption: \(encryption)" + more
    }

    @Test func recipientsInlineAndFromAFileAreRead() throws {
        let folder = TemporaryFolder()
        folder.write("recipients.txt", "# offline key, in the safe\n\(Self.second)\n")
        chmod(folder.sub("recipients.txt"), 0o644)
        let loaded = try ConfigLoader.load(
            yaml: TriggerConfigTests.config(Self.set("{recipients: [\(Self.first)], recipients_file: \(folder.sub("recipients.txt"))}")))
        let encryption = try #require(loaded.sets[0].encryption)
        #expect(encryption.recipients == [try AgeRecipient.parse(Self.first), try AgeRecipient.parse(Self.second)])
        #expect(!encryption.isPassphrase)
        // Sealed incremental sets get a regular full backup; two recipients draw no warning.
        #expect(loaded.sets[0].fullEvery == DaemonConfig.BackupSet.Encryption.defaultFullEvery)
        #expect(loaded.warnings.isEmpty)
        let named = try ConfigLoader.load(
            yaml: TriggerConfigTests.config(Self.set("{recipients: [\(Self.first)]}", more: "\n    full_every: 5")))
        #expect(named.sets[0].fullEvery == 5)
    }

    @Test func aSingleRecipientDrawsABreakGlassWarning() throws {
        let loaded = try ConfigLoader.load(yaml: TriggerConfigTests.config(Self.set("{recipients: [\(Self.first)]}")))
        #expect(loaded.warnings.count == 1)
        #expect(loaded.warnings.first?.contains("sets.configs.encryption: one recipient only") == true)
        #expect(loaded.warnings.first?.contains("break-glass") == true)
        #expect(try ConfigLoader.load(yaml: TriggerConfigTests.config("    paths: [/srv/a]")).warnings.isEmpty)
    }

    @Test func aPassphraseFileStandsAloneAndStaysPrivate() throws {
        let folder = TemporaryFolder()
        folder.write("pass", "correct horse battery staple\n")
        chmod(folder.sub("pass"), 0o600)
        let loaded = try ConfigLoader.load(yaml: TriggerConfigTests.config(Self.set("{passphrase_file: \(folder.sub("pass"))}")))
        let encryption = try #require(loaded.sets[0].encryption)
        #expect(encryption.isPassphrase)
        #expect(encryption.recipients == [.passphrase("correct horse battery staple", workFactor: AgeRecipient.defaultWorkFactor)])
        #expect(loaded.warnings.isEmpty)

        chmod(folder.sub("pass"), 0o644)
        let readable = TriggerConfigTests.problems(Self.set("{passphrase_file: \(folder.sub("pass"))}"))
        #expect(readable.contains { $0.contains("can be read by every user") && $0.contains("chmod 600") }, "\(readable)")
        #expect(!readable.joined().contains("horse"))
        chmod(folder.sub("pass"), 0o600)
        let both = TriggerConfigTests.problems(Self.set("{recipients: [\(Self.first)], passphrase_file: \(folder.sub("pass"))}"))
        #expect(both.contains { $0.contains("must be an archive's only recipient") }, "\(both)")
        folder.write("empty", "\n")
        chmod(folder.sub("empty"), 0o600)
        let empty = TriggerConfigTests.problems(Self.set("{passphrase_file: \(folder.sub("empty"))}"))
        #expect(empty.contains { $0.contains("is empty") }, "\(empty)")
    }

    @Test func badRecipientsAndFilesAreNamed() throws {
        let folder = TemporaryFolder()
        folder.write("open.txt", Self.second + "\n")
        chmod(folder.sub("open.txt"), 0o666)
        folder.write("bad.txt", "\(Self.second)\nage1nope\n")
        chmod(folder.sub("bad.txt"), 0o644)
        let cases: [(String, String)] = [
            ("{recipients: [age1nope]}", "sets.configs.encryption.recipients[0]: \"age1nope\" is not an age recipient"),
            ("{recipients: [AGE-SECRET-KEY-1QQQQSECRETBITS]}", "a secret key (AGE-SECRET-KEY-…) was given where a recipient belongs"),
            ("{recipients: []}", "sets.configs.encryption.recipients: the list is empty"),
            ("{}", "sets.configs.encryption: names no recipient"),
            ("{recipient: [\(Self.first)]}", #"did you mean "recipients"?"#),
            ("{recipients_file: relative.txt}", "sets.configs.encryption.recipients_file"),
            ("{recipients_file: \(folder.sub("missing.txt"))}", "cannot read \(folder.sub("missing.txt"))"),
            ("{recipients_file: \(folder.sub("open.txt"))}", "can be changed by other users"),
            ("{recipients_file: \(folder.sub("bad.txt"))}", "bad.txt line 2: \"age1nope\" is not an age recipient"),
        ]
        for (encryption, message) in cases {
            let problems = TriggerConfigTests.problems(Self.set(encryption))
            #expect(problems.contains { $0.contains(message) }, "\(encryption): \(problems)")
            #expect(!problems.joined().contains("SECRETBITS"))
        }
    }
}
