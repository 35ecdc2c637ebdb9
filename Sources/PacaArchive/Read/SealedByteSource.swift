public import PacaAge
import PacaSystem

/// An archive sealed with age (`<id>.zip.age`) read as the ZIP inside it: each 64 KiB chunk is
/// read from `sealed` and decrypted when first needed, the last few kept, so the ZIP reader's
/// ranged reads cost a chunk each, never the whole file. Every byte it returns was
/// authenticated; a damaged, truncated or extended file fails the read that meets it. A chunk
/// is decrypted once even when several threads want it at the same time (the extractor's
/// threads work on neighbouring small entries): the others wait for it.
public final class SealedByteSource: BlockByteSource, @unchecked Sendable {
    public static let blockSize = UInt64(AgePayload.chunkSize)
    public let name: String
    public let size: UInt64
    private let sealed: any ArchiveByteSource
    private let payload: AgePayload
    private static let chunksKept = 16
    /// Guards `chunks` and `opening`; its condition is signalled when a chunk was opened.
    private let lock = ConditionLock()
    private var chunks: [(index: UInt64, bytes: [UInt8])] = []
    private var opening = Set<UInt64>()

    /// Opens `sealed` with the first of `identities` that opens its header.
    public init(_ sealed: any ArchiveByteSource, identities: [AgeIdentity]) throws(ArchiveError) {
        self.sealed = sealed
        name = sealed.name
        var length = min(sealed.size, 4096)
        while true {
            let prefix = try ArchiveReader.read(sealed, at: 0, count: Int(length))
            let opened: AgePayload?
            do {
                opened = try AgePayload.open(
                    prefix: prefix, isWhole: length == sealed.size, fileSize: sealed.size, identities: identities)
            } catch {
                throw Self.failure(error, sealed.name)
            }
            if let opened {
                payload = opened
                break
            }
            length = min(sealed.size, length * 4)
        }
        size = payload.plaintextSize
    }

    /// Whether `source` starts as an age file does (`age-encryption.org/v1`).
    public static func isSealed(_ source: any ArchiveByteSource) -> Bool {
        let magic = Array("age-encryption.org/v1\n".utf8)
        guard source.size >= UInt64(magic.count), let start = try? ArchiveReader.read(source, at: 0, count: magic.count) else {
            return false
        }
        return start == magic
    }

    public func block(_ index: UInt64) throws(ArchiveError) -> [UInt8] {
        lock.lock()
        while true {
            if let kept = chunks.first(where: { $0.index == index })?.bytes {
                lock.unlock()
                return kept
            }
            guard opening.contains(index) else { break }
            lock.wait()
        }
        opening.insert(index)
        lock.unlock()
        let opened = Result { () throws(ArchiveError) in try open(index) }
        lock.lock()
        opening.remove(index)
        if case .success(let plain) = opened {
            if chunks.count >= Self.chunksKept { chunks.removeFirst() }
            chunks.append((index, plain))
        }
        lock.broadcast()
        lock.unlock()
        return try opened.get()
    }

    /// Reads and decrypts chunk `index`.
    private func open(_ index: UInt64) throws(ArchiveError) -> [UInt8] {
        let range = payload.sealedRange(ofChunk: index)
        let stored = try ArchiveReader.read(sealed, at: range.lowerBound, count: Int(range.count))
        guard stored.count == range.count else {
            throw ArchiveError(.truncated, "\(name): the encrypted archive ends inside chunk \(index + 1) of \(payload.chunkCount)")
        }
        let plain: [UInt8]
        do { plain = try payload.open(chunk: index, stored) } catch { throw Self.failure(error, name) }
        return plain
    }

    static func failure(_ error: AgeError, _ name: String) -> ArchiveError {
        switch error.kind {
        case .noMatch, .key: ArchiveError(.invalidArgument, "\(name): \(error.message)")
        case .header, .headerMAC, .payload: ArchiveError(.corrupt, "\(name): \(error.message)")
        }
    }
}
