import Crypto
import Foundation

/// Encrypts a stream to age recipients as it is written: ``header`` first, then what
/// ``seal(_:)`` and ``finish()`` return, in order, make an age v1 file that `age -d` opens.
/// Holds at most one 64 KiB chunk; the file key exists only in this value.
public struct AgeSealer: Sendable {
    /// The header and the payload nonce: the file's first bytes.
    public let header: [UInt8]
    private let payloadKey: SymmetricKey
    private var pending: [UInt8] = []
    private var counter: UInt64 = 0
    private var isFinished = false

    /// A new file key, wrapped for each of `recipients` (at least one; a passphrase only alone).
    public init(recipients: [AgeRecipient]) throws(AgeError) {
        guard !recipients.isEmpty else { throw AgeError(.key, "an age file needs at least one recipient") }
        if recipients.count > 1, recipients.contains(where: { if case .passphrase = $0 { true } else { false } }) {
            throw AgeError(.key, "a passphrase must be an age file's only recipient")
        }
        let fileKey = FileKey()
        var stanzas: [AgeHeader.Stanza] = []
        for recipient in recipients { stanzas.append(try AgeStanzas.wrap(fileKey, for: recipient)) }
        var nonce = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for index in nonce.indices { nonce[index] = generator.next() }
        header = AgeHeader.encode(stanzas, fileKey: fileKey) + nonce
        payloadKey = fileKey.payloadKey(nonce: nonce)
        pending.reserveCapacity(AgePayload.chunkSize)
    }

    /// Takes `bytes` of plaintext; returns the ciphertext of the chunks they completed (often
    /// none). A full chunk is held back until more follows, since the last one is marked.
    public mutating func seal(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        precondition(!isFinished, "AgeSealer.seal after finish")
        var out: [UInt8] = []
        out.reserveCapacity((pending.count + bytes.count) / AgePayload.chunkSize * Int(AgePayload.sealedChunkSize))
        var offset = 0
        while offset < bytes.count {
            if pending.count == AgePayload.chunkSize {
                out += AgePayload.seal(pending, key: payloadKey, counter: counter, isFinal: false)
                counter += 1
                pending.removeAll(keepingCapacity: true)
            }
            let take = min(bytes.count - offset, AgePayload.chunkSize - pending.count)
            pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + take]))
            offset += take
        }
        return out
    }

    /// The last chunk (empty only when nothing was sealed).
    public mutating func finish() -> [UInt8] {
        precondition(!isFinished, "AgeSealer.finish twice")
        isFinished = true
        defer { pending = [] }
        return AgePayload.seal(pending, key: payloadKey, counter: counter, isFinal: true)
    }

    /// The size of the age file for `plaintext` bytes under this header.
    public func encryptedSize(plaintext: UInt64) -> UInt64 {
        let chunks = max(1, (plaintext + UInt64(AgePayload.chunkSize) - 1) / UInt64(AgePayload.chunkSize))
        return UInt64(header.count) + plaintext + chunks * 16
    }
}
