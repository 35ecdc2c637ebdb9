public import Crypto
import Foundation

/// Someone an age file is encrypted to: an X25519 public key (`age1…`, as `age-keygen` prints
/// it) or a passphrase (age's scrypt recipient, which must be the file's only one). Holding a
/// recipient lets one encrypt, never decrypt.
public enum AgeRecipient: Sendable {
    case x25519(Curve25519.KeyAgreement.PublicKey)
    /// A passphrase and the scrypt work factor (log2 of N) to encrypt with.
    case passphrase(String, workFactor: Int)

    /// The work factor age uses by default (N = 2^18: about a second on a laptop).
    public static let defaultWorkFactor = 18

    /// Parses an `age1…` recipient. Plugin (`age1name1…`) and hybrid recipients are refused by name.
    public static func parse(_ text: String) throws(AgeError) -> AgeRecipient {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.uppercased().hasPrefix("AGE-SECRET-KEY-") else {
            // Never echoed: it is a secret.
            throw AgeError(
                .key,
                "a secret key (AGE-SECRET-KEY-…) was given where a recipient belongs: give its public key, which age-keygen -y FILE prints")
        }
        guard let (hrp, data) = Bech32.decode(trimmed) else {
            throw AgeError(.key, "\"\(Self.shown(trimmed))\" is not an age recipient (expected age1 followed by 58 characters)")
        }
        guard hrp == "age" else {
            throw AgeError(
                .key,
                hrp.hasPrefix("age1")
                    ? "\"\(Self.shown(trimmed))\" is an age plugin recipient; pacad supports X25519 recipients (age1…) and passphrases"
                    : "\"\(Self.shown(trimmed))\" is not an age recipient (expected age1…)")
        }
        guard data.count == 32, let key = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: data) else {
            throw AgeError(.key, "\"\(Self.shown(trimmed))\" is not an X25519 age recipient (its key is not 32 bytes)")
        }
        return .x25519(key)
    }

    /// The recipients of a recipients file: one per line, as `age -R` reads them (`#` comments
    /// and blank lines skipped). `name` is what messages call the file.
    public static func parseFile(_ text: String, name: String) throws(AgeError) -> [AgeRecipient] {
        var recipients: [AgeRecipient] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            do { recipients.append(try parse(trimmed)) } catch {
                throw AgeError(.key, "\(name) line \(number + 1): \(error.message)")
            }
        }
        guard !recipients.isEmpty else { throw AgeError(.key, "\(name) lists no recipient") }
        return recipients
    }

    /// The `age1…` form of an X25519 recipient; nil for a passphrase.
    public var text: String? {
        guard case .x25519(let key) = self else { return nil }
        return Bech32.encode(hrp: "age", Array(key.rawRepresentation))
    }

    /// At most the first 40 characters of what the user wrote, for messages.
    static func shown(_ text: String) -> String { text.count > 40 ? String(text.prefix(40)) + "…" : text }
}

extension AgeRecipient: Equatable {
    public static func == (lhs: AgeRecipient, rhs: AgeRecipient) -> Bool {
        switch (lhs, rhs) {
        case (.x25519(let a), .x25519(let b)): a.rawRepresentation == b.rawRepresentation
        case (.passphrase(let a, let x), .passphrase(let b, let y)): a == b && x == y
        default: false
        }
    }
}
