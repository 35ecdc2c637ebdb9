import Crypto
public import Foundation

/// An age file's payload, opened: where its chunks lie and the key to open each one, so any
/// range of the plaintext can be read without the chunks before it (the STREAM construction of
/// C2SP age: 64 KiB chunks of ChaCha20-Poly1305, the nonce an 11-byte counter and a last-chunk flag).
public struct AgePayload: Sendable {
    public static let chunkSize = 64 << 10
    static let tagSize = 16
    /// A chunk as stored: its plaintext and its tag.
    public static let sealedChunkSize = UInt64(chunkSize + tagSize)

    private let key: SymmetricKey
    /// Where the first chunk starts in the file (after the header and the 16-byte nonce).
    public let offset: UInt64
    public let chunkCount: UInt64
    /// The plaintext's size, from the file's: every chunk but the last is full.
    public let plaintextSize: UInt64

    /// Opens the file whose first bytes are `prefix` (`isWhole` when that is the whole file)
    /// and whose size is `fileSize`, with the first of `identities` that opens a stanza. Returns
    /// nil when `prefix` ends inside the header (read more and call again).
    public static func open(prefix: [UInt8], isWhole: Bool, fileSize: UInt64, identities: [AgeIdentity]) throws(AgeError)
        -> AgePayload?
    {
        guard let header = try AgeHeader.parse(prefix, isWhole: isWhole) else { return nil }
        let nonceEnd = header.length + 16
        guard prefix.count >= nonceEnd || isWhole else { return nil }
        let fileKey = try fileKey(header, identities: identities)
        guard prefix.count >= nonceEnd else { throw AgeError(.header, "the age file ends before its payload nonce") }
        return try AgePayload(
            key: fileKey.payloadKey(nonce: Array(prefix[header.length..<nonceEnd])), offset: UInt64(nonceEnd), fileSize: fileSize)
    }

    static func fileKey(_ header: AgeHeader, identities: [AgeIdentity]) throws(AgeError) -> FileKey {
        if header.stanzas.contains(where: { $0.type == "scrypt" }), header.stanzas.count > 1 {
            throw AgeError(.header, "the age header has a passphrase stanza next to others, which age forbids")
        }
        for identity in identities {
            for stanza in header.stanzas {
                guard let fileKey = try AgeStanzas.unwrap(stanza, with: identity) else { continue }
                guard fileKey.isValidMAC(header.mac, of: header.authenticated) else {
                    throw AgeError(.headerMAC, "the age header's MAC does not match: the header was altered or damaged")
                }
                return fileKey
            }
        }
        let passphrase = header.stanzas.contains { $0.type == "scrypt" }
        throw AgeError(
            .noMatch,
            passphrase
                ? "the passphrase does not open this age file"
                : "no identity given opens this age file (it is encrypted to \(header.stanzas.count) other recipient(s))")
    }

    init(key: SymmetricKey, offset: UInt64, fileSize: UInt64) throws(AgeError) {
        guard fileSize > offset else { throw AgeError(.payload, "the age file has no payload after its header") }
        let stored = fileSize - offset
        let count = (stored + Self.sealedChunkSize - 1) / Self.sealedChunkSize
        let last = stored - (count - 1) * Self.sealedChunkSize
        guard last >= UInt64(Self.tagSize), count == 1 || last > UInt64(Self.tagSize) else {
            throw AgeError(.payload, "the age file's last chunk is cut short or empty: the file was truncated or extended")
        }
        self.key = key
        self.offset = offset
        chunkCount = count
        plaintextSize = stored - count * UInt64(Self.tagSize)
    }

    /// The bytes of the file that hold chunk `index`.
    public func sealedRange(ofChunk index: UInt64) -> Range<UInt64> {
        let start = offset + index * Self.sealedChunkSize
        let end = index + 1 == chunkCount ? offset + plaintextSize + chunkCount * UInt64(Self.tagSize) : start + Self.sealedChunkSize
        return start..<end
    }

    /// How many bytes a box for ``open(chunk:box:)`` holds before the chunk's stored bytes.
    public static let boxPrefix = 12

    /// The plaintext of chunk `index` from its stored bytes; throws when they were altered, or
    /// when the chunk is marked last and is not (or the other way round).
    public func open(chunk index: UInt64, _ sealed: [UInt8]) throws(AgeError) -> [UInt8] {
        var box = Data(count: Self.boxPrefix)
        box.append(contentsOf: sealed)
        return Array(try open(chunk: index, box: box))
    }

    /// The plaintext of chunk `index` from `box`: ``boxPrefix`` bytes of room (overwritten with
    /// the chunk's nonce), then the chunk's stored bytes. Reading a chunk straight into such a
    /// box spares the copies swift-crypto's sealed-box initialisers make.
    public func open(chunk index: UInt64, box: Data) throws(AgeError) -> Data {
        var box = box
        Self.writeNonce(into: &box, counter: index, isFinal: index + 1 == chunkCount)
        guard box.count >= Self.boxPrefix + Self.tagSize, let sealedBox = try? ChaChaPoly.SealedBox(combined: box),
            let plain = try? ChaChaPoly.open(sealedBox, using: key)
        else {
            throw AgeError(
                .payload,
                "chunk \(index + 1) of \(chunkCount) of the age payload does not decrypt: the file was damaged, truncated or extended")
        }
        return plain
    }

    static func seal(_ chunk: [UInt8], key: SymmetricKey, counter: UInt64, isFinal: Bool) -> [UInt8] {
        // A 64 KiB message under a 32-byte key and a 12-byte nonce cannot fail to seal.
        let box = try! ChaChaPoly.seal(chunk, using: key, nonce: nonce(counter: counter, isFinal: isFinal))
        var out = Array(box.ciphertext)
        out += box.tag
        return out
    }

    static func nonce(counter: UInt64, isFinal: Bool) -> ChaChaPoly.Nonce {
        var bytes = Data(count: 12)
        writeNonce(into: &bytes, counter: counter, isFinal: isFinal)
        return try! ChaChaPoly.Nonce(data: bytes)
    }

    /// STREAM's nonce for chunk `counter`: the counter in bytes 0..<11 (big-endian), then 1 for the last chunk.
    static func writeNonce(into bytes: inout Data, counter: UInt64, isFinal: Bool) {
        bytes.withUnsafeMutableBytes { (raw: UnsafeMutableRawBufferPointer) in
            for index in 0..<11 { raw[10 - index] = index < 8 ? UInt8(truncatingIfNeeded: counter >> UInt64(8 * index)) : 0 }
            raw[11] = isFinal ? 1 : 0
        }
    }
}
