public import Crypto
import Foundation

/// What opens an age file: an X25519 private key (`AGE-SECRET-KEY-1…`, as `age-keygen` writes
/// it) or a passphrase. Never logged, never shown: messages name the identity file, not the key.
public enum AgeIdentity: Sendable {
    case x25519(Curve25519.KeyAgreement.PrivateKey)
    case passphrase(String)

    /// A new X25519 identity from the system's random source.
    public static func generate() -> AgeIdentity { .x25519(Curve25519.KeyAgreement.PrivateKey()) }

    /// The identities of an identity file: `AGE-SECRET-KEY-1…` lines, with `#` comments and blank
    /// lines skipped, as `age -i` reads them. `name` is what messages call the file.
    public static func parseFile(_ text: String, name: String) throws(AgeError) -> [AgeIdentity] {
        var identities: [AgeIdentity] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces.union(CharacterSet(charactersIn: "\r")))
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard let (hrp, data) = Bech32.decode(trimmed), trimmed == trimmed.uppercased() else {
                throw AgeError(.key, "\(name) line \(number + 1) is not an age identity (expected AGE-SECRET-KEY-1…)")
            }
            guard hrp == "age-secret-key-" else {
                throw AgeError(
                    .key,
                    hrp.hasPrefix("age-plugin-")
                        ? "\(name) line \(number + 1) is an age plugin identity; pacad supports X25519 identities (AGE-SECRET-KEY-1…)"
                        : "\(name) line \(number + 1) is not an age identity (expected AGE-SECRET-KEY-1…)")
            }
            guard data.count == 32, let key = try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: data) else {
                throw AgeError(.key, "\(name) line \(number + 1) is not an X25519 age identity (its key is not 32 bytes)")
            }
            identities.append(.x25519(key))
        }
        guard !identities.isEmpty else { throw AgeError(.key, "\(name) holds no age identity") }
        return identities
    }

    /// The recipient that encrypts to this identity (nil for a passphrase).
    public var recipient: AgeRecipient? {
        guard case .x25519(let key) = self else { return nil }
        return .x25519(key.publicKey)
    }

    /// The identity file text `age-keygen` would write: a created line, the public key, the key.
    public func fileText(created: String) -> String? {
        guard case .x25519(let key) = self, let recipient = recipient?.text else { return nil }
        let secret = Bech32.encode(hrp: "age-secret-key-", Array(key.rawRepresentation)).uppercased()
        return "# created: \(created)\n# public key: \(recipient)\n\(secret)\n"
    }
}
