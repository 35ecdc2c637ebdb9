public import Foundation
public import PacaAge
import PacaSystem

/// An archive sealed with age (`<id>.zip.age`) read as the ZIP inside it: each 64 KiB chunk is
/// read from `sealed` and decrypted when first needed, the most recently used 8 MiB kept, so the
/// ZIP reader's ranged reads cost a chunk each, never the whole file. Every byte it returns was
/// authenticated; a damaged, truncated or extended file fails the read that meets it. A chunk
/// is decrypted once even when several threads want it at the same time (the extractor's
/// threads work on neighbouring small entries): the others wait for it.
public final class SealedByteSource: BlockByteSource, @unchecked Sendable {
    public static let blockSize = UInt64(AgePayload.chunkSize)
    public let name: String
    public let size: UInt64
    private let sealed: any ArchiveByteSource
    private let payload: AgePayload
    /// 8 MiB: the extractor's threads read at several places at once (one streams a large entry
    /// while another works through small ones), and with 16 chunks (1 MiB) each chunk of the
    /// bench corpus was decrypted 2.3 times on average; with 128, once.
    private static let chunksKept = 128
    /// Guards `chunks` and `opening`; its condition is signalled when a chunk was opened.
    private let lock = ConditionLock()
    private var chunks: [(index: UInt64, bytes: Data)] = []
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

    public func block(_ index: UInt64) throws(ArchiveError) -> Data {
        lock.lock()
        while true {
            if let at = chunks.firstIndex(where: { $0.index == index }) {
                // Least recently used goes first: move this one to the end.
                let kept = chunks.remove(at: at)
                chunks.append(kept)
                lock.unlock()
                return kept.bytes
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

    /// Reads and decrypts chunk `index`, reading it straight into the box that opens it.
    private func open(_ index: UInt64) throws(ArchiveError) -> Data {
        let range = payload.sealedRange(ofChunk: index)
        var box = Data(count: AgePayload.boxPrefix + Int(range.count))
        let read = box.withUnsafeMutableBytes { raw in
            Result { () throws(ArchiveError) in
                try sealed.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[AgePayload.boxPrefix...]), at: range.lowerBound)
            }
        }
        let count = try read.get()
        guard count == range.count else {
            throw ArchiveError(.truncated, "\(name): the encrypted archive ends inside chunk \(index + 1) of \(payload.chunkCount)")
        }
        do { return try payload.open(chunk: index, box: box) } catch { throw Self.failure(error, name) }
    }

    static func failure(_ error: AgeError, _ name: String) -> ArchiveError {
        switch error.kind {
        case .noMatch, .key: ArchiveError(.invalidArgument, "\(name): \(error.message)")
        case .header, .headerMAC, .payload: ArchiveError(.corrupt, "\(name): \(error.message)")
        }
    }
}
