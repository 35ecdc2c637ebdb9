import Crypto
import CryptoExtras
import Foundation

/// The two recipient types pacad writes and reads: X25519 and scrypt (C2SP age, "Native
/// recipient types").
enum AgeStanzas {
    static let x25519Label = Array("age-encryption.org/v1/X25519".utf8)
    static let scryptLabel = Array("age-encryption.org/v1/scrypt".utf8)
    /// The largest scrypt work factor opened (2^22 × 1 KiB = 4 GiB of memory), as age's default.
    static let maximumWorkFactor = 22

    static func wrap(_ fileKey: FileKey, for recipient: AgeRecipient) throws(AgeError) -> AgeHeader.Stanza {
        switch recipient {
        case .x25519(let publicKey):
            let ephemeral = Curve25519.KeyAgreement.PrivateKey()
            let share = Array(ephemeral.publicKey.rawRepresentation)
            guard let secret = try? ephemeral.sharedSecretFromKeyAgreement(with: publicKey) else {
                throw AgeError(.key, "the recipient \(recipient.text ?? "") is not a usable X25519 key")
            }
            let wrapKey = secret.hkdfDerivedSymmetricKey(
                using: SHA256.self, salt: share + Array(publicKey.rawRepresentation), sharedInfo: x25519Label, outputByteCount: 32)
            return AgeHeader.Stanza(type: "X25519", arguments: [Base64.encode(share)], body: fileKey.wrapped(under: wrapKey))
        case .passphrase(let passphrase, let workFactor):
            guard (1...maximumWorkFactor).contains(workFactor) else {
                throw AgeError(.key, "a passphrase's work factor must be from 1 to \(maximumWorkFactor), not \(workFactor)")
            }
            var salt = [UInt8](repeating: 0, count: 16)
            var generator = SystemRandomNumberGenerator()
            for index in salt.indices { salt[index] = generator.next() }
            let wrapKey = try scryptKey(passphrase, salt: salt, workFactor: workFactor)
            return AgeHeader.Stanza(
                type: "scrypt", arguments: [Base64.encode(salt), String(workFactor)], body: fileKey.wrapped(under: wrapKey))
        }
    }

    /// The file key from `stanza` for `identity`: nil when the stanza is not for it; throws when
    /// a stanza of a type it reads is malformed.
    static func unwrap(_ stanza: AgeHeader.Stanza, with identity: AgeIdentity) throws(AgeError) -> FileKey? {
        switch (stanza.type, identity) {
        case ("X25519", .x25519(let privateKey)):
            guard stanza.arguments.count == 1, let share = Base64.decode(stanza.arguments[0].utf8), share.count == 32,
                stanza.body.count == 32
            else { throw AgeError(.header, "an X25519 stanza of the age header is malformed") }
            guard let peer = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: share),
                let secret = try? privateKey.sharedSecretFromKeyAgreement(with: peer),
                secret.withUnsafeBytes({ bytes in bytes.contains { $0 != 0 } })
            else { throw AgeError(.header, "an X25519 stanza of the age header holds a low-order point") }
            let wrapKey = secret.hkdfDerivedSymmetricKey(
                using: SHA256.self, salt: share + Array(privateKey.publicKey.rawRepresentation), sharedInfo: x25519Label,
                outputByteCount: 32)
            return FileKey.unwrap(stanza.body, under: wrapKey)
        case ("scrypt", .passphrase(let passphrase)):
            guard stanza.arguments.count == 2, let salt = Base64.decode(stanza.arguments[0].utf8), salt.count == 16,
                let workFactor = decimal(stanza.arguments[1]), stanza.body.count == 32
            else { throw AgeError(.header, "the scrypt stanza of the age header is malformed") }
            guard (1...maximumWorkFactor).contains(workFactor) else {
                throw AgeError(
                    .header, "the age file's passphrase work factor \(workFactor) is above \(maximumWorkFactor) or zero; refused")
            }
            return FileKey.unwrap(stanza.body, under: try scryptKey(passphrase, salt: salt, workFactor: workFactor))
        default:
            return nil
        }
    }

    /// A work factor as age writes it: decimal digits without a sign or leading zero.
    private static func decimal(_ text: String) -> Int? {
        guard !text.isEmpty, text.count <= 2, text.utf8.allSatisfy({ (48...57).contains($0) }), text == "0" || !text.hasPrefix("0") else {
            return nil
        }
        return Int(text)
    }

    private static func scryptKey(_ passphrase: String, salt: [UInt8], workFactor: Int) throws(AgeError) -> SymmetricKey {
        do {
            return try KDF.Scrypt.deriveKey(
                from: Array(passphrase.utf8), salt: scryptLabel + salt, outputByteCount: 32, rounds: 1 << workFactor, blockSize: 8,
                parallelism: 1, maxMemory: 1 << (workFactor + 10 + 1))
        } catch {
            throw AgeError(.key, "scrypt with work factor \(workFactor) failed (not enough memory?)")
        }
    }
}
