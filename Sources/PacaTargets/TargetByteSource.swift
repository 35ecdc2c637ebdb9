public import PacaArchive
import PacaSystem
import Synchronization

/// An archive on a target read in ranges, for ``ArchiveReader`` on a blocking thread: opening an
/// archive and reading its manifest then costs a few ranged reads of its end, never a download
/// of the whole archive. Reads go in 1 MiB blocks, the last 16 of them kept.
public final class TargetByteSource: ArchiveByteSource {
    public let name: String
    public let size: UInt64
    private let target: any ArchiveTarget
    private let key: String
    private static let blockSize: UInt64 = 1 << 20
    private let cache = Mutex<[UInt64: [UInt8]]>([:])
    private let fetched = Atomic<UInt64>(0)

    /// Bytes fetched from the target so far.
    public var bytesFetched: UInt64 { fetched.load(ordering: .relaxed) }

    public init(target: any ArchiveTarget, key: String, size: UInt64) {
        self.target = target
        self.key = key
        self.size = size
        name = target.location(of: key)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(ArchiveError) -> Int {
        var done = 0
        while done < buffer.count, offset + UInt64(done) < size {
            let position = offset + UInt64(done)
            let index = position / Self.blockSize
            let block = try self.block(index)
            let start = Int(position - index * Self.blockSize)
            guard start < block.count else { break }
            let count = min(buffer.count - done, block.count - start)
            block.withUnsafeBytes { raw in
                UnsafeMutableRawBufferPointer(rebasing: buffer[done..<done + count]).copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: raw[start..<start + count]))
            }
            done += count
        }
        return done
    }

    private func block(_ index: UInt64) throws(ArchiveError) -> [UInt8] {
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
            if cache.count >= 16, let oldest = cache.keys.min() { cache[oldest] = nil }
            cache[index] = bytes
        }
        return bytes
    }
}
