import Crypto
import Foundation

/// The 128-bit key each age file is encrypted under, wrapped for every recipient in the header.
/// Lives only in memory.
struct FileKey: Sendable {
    let key: SymmetricKey

    init() { key = SymmetricKey(size: SymmetricKeySize(bitCount: 128)) }

    init?(_ bytes: some ContiguousBytes) {
        let key = SymmetricKey(data: bytes)
        guard key.bitCount == 128 else { return nil }
        self.key = key
    }

    var bytes: [UInt8] { key.withUnsafeBytes { Array($0) } }

    /// HMAC-SHA-256 of `header` under HKDF(file key, info "header").
    func headerMAC(_ header: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: header, using: macKey))
    }

    func isValidMAC(_ mac: [UInt8], of header: [UInt8]) -> Bool {
        HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: header, using: macKey)
    }

    private var macKey: SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: key, salt: [UInt8](), info: Array("header".utf8), outputByteCount: 32)
    }

    /// The payload key for payload nonce `nonce`: HKDF(file key, salt nonce, info "payload").
    func payloadKey(nonce: [UInt8]) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: key, salt: nonce, info: Array("payload".utf8), outputByteCount: 32)
    }

    /// The file key sealed under `wrapKey` with an all-zero nonce (each wrap key is used once).
    func wrapped(under wrapKey: SymmetricKey) -> [UInt8] {
        // Sealing a 16-byte message under a 32-byte key with a 12-byte nonce cannot fail.
        let box = try! ChaChaPoly.seal(bytes, using: wrapKey, nonce: Self.zeroNonce)
        return Array(box.ciphertext) + Array(box.tag)
    }

    /// The file key in a stanza body sealed under `wrapKey`, or nil when it does not open
    /// (another recipient's stanza, a wrong passphrase).
    static func unwrap(_ body: [UInt8], under wrapKey: SymmetricKey) -> FileKey? {
        guard body.count == 32, let box = try? ChaChaPoly.SealedBox(nonce: zeroNonce, ciphertext: body[..<16], tag: body[16...]),
            let opened = try? ChaChaPoly.open(box, using: wrapKey)
        else { return nil }
        return FileKey(opened)
    }

    static let zeroNonce = try! ChaChaPoly.Nonce(data: [UInt8](repeating: 0, count: 12))
}
