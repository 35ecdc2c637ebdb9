public import Foundation
public import PacaArchive
import PacaSystem
import Synchronization

/// An archive on a target read in ranges, for ``ArchiveReader`` on a blocking thread: opening an
/// archive and reading its manifest then costs a few ranged reads of its end, never a download
/// of the whole archive. Reads go in 1 MiB blocks, the last `blocksKept` of them kept (16 by
/// default, for the extractor's threads reading at several places at once).
public final class TargetByteSource: BlockByteSource {
    public let name: String
    public let size: UInt64
    private let target: any ArchiveTarget
    private let key: String
    public static let blockSize: UInt64 = 1 << 20
    private let cache = Mutex<[UInt64: [UInt8]]>([:])
    private let fetched = Atomic<UInt64>(0)
    private let blocksKept: Int

    /// Bytes fetched from the target so far.
    public var bytesFetched: UInt64 { fetched.load(ordering: .relaxed) }

    public init(target: any ArchiveTarget, key: String, size: UInt64, blocksKept: Int = 16) {
        self.blocksKept = max(1, blocksKept)
        self.target = target
        self.key = key
        self.size = size
        name = target.location(of: key)
    }

    public func block(_ index: UInt64) throws(ArchiveError) -> [UInt8] {
        if let cached = cache.withLock({ $0[index] }) { return cached }
        let start = index * Self.blockSize
        let end = min(size, start + Self.blockSize) - 1
        let target = self.target
        let key = self.key
        let bytes: [UInt8]
        do throws(TargetError) {
            bytes = try awaitBlocking { () async throws(TargetError) -> [UInt8] in try await target.read(key, range: start...end) }
        } catch {
            throw ArchiveError(.io, error.message, underlying: error.underlying as? SystemError)
        }
        fetched.add(UInt64(bytes.count), ordering: .relaxed)
        cache.withLock { cache in
            if cache.count >= blocksKept, let oldest = cache.keys.min() { cache[oldest] = nil }
            cache[index] = bytes
        }
        return bytes
    }
}
