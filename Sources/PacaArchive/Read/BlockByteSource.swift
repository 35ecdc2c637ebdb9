public import Foundation

/// An archive fetched in fixed-size blocks (an S3 object by ranged GETs, a backup read through
/// pacad's socket): `read(into:at:)` is assembled from `block(_:)`, which each source fetches and
/// keeps as it sees fit.
public protocol BlockByteSource: ArchiveByteSource {
    /// Block `i` covers bytes `i * blockSize ..< (i + 1) * blockSize`, short only at the end.
    static var blockSize: UInt64 { get }
    /// What a block is held in: `[UInt8]`, or `Data` where that spares a copy.
    associatedtype Block: RandomAccessCollection & ContiguousBytes where Block.Element == UInt8, Block.Index == Int
    func block(_ index: UInt64) throws(ArchiveError) -> Block
}

extension BlockByteSource {
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
}
