import Crypto

/// Digests a file's ``PartLayout/size`` parts as its bytes stream past, in blocks of any size.
struct PartHasher {
    private var current = SHA256()
    private var filled: UInt64 = 0
    /// The finished parts' digests, 32 bytes each.
    private var digests: [UInt8] = []

    mutating func update(_ block: UnsafeRawBufferPointer) {
        var rest = block
        while !rest.isEmpty {
            let take = Int(min(UInt64(rest.count), PartLayout.size - filled))
            current.update(bufferPointer: UnsafeRawBufferPointer(rebasing: rest[0..<take]))
            filled += UInt64(take)
            rest = UnsafeRawBufferPointer(rebasing: rest[take...])
            if filled == PartLayout.size { closePart() }
        }
    }

    private mutating func closePart() {
        digests.append(contentsOf: current.finalize())
        current = SHA256()
        filled = 0
    }

    /// Every part's digest, the last (shorter) part included.
    mutating func finish() -> [UInt8] {
        if filled > 0 { closePart() }
        return digests
    }
}

/// Walks a file's segments front to back and cuts out the ones that hold a range of its bytes:
/// how a backup takes the unchanged parts of a changed file from where the base has them.
struct SegmentLayout {
    private let segments: [Manifest.Segment]
    private var index = 0
    /// The file offset at which `segments[index]` begins.
    private var start: UInt64 = 0

    init(_ segments: [Manifest.Segment]) { self.segments = segments }

    /// The segments holding bytes `from..<to` of the file; ranges must be asked for in increasing
    /// order. Nil when the segments end before `to`.
    mutating func slice(_ from: UInt64, _ to: UInt64) -> [Manifest.Segment]? {
        while index < segments.count && start + segments[index].size <= from {
            start += segments[index].size
            index += 1
        }
        var out: [Manifest.Segment] = []
        var i = index
        var segmentStart = start
        var position = from
        while position < to {
            guard i < segments.count else { return nil }
            let segment = segments[i]
            let within = position - segmentStart
            let take = min(segment.size - within, to - position)
            out.append(Manifest.Segment(holder: segment.holder, entry: segment.entry, offset: segment.offset + within, size: take))
            position += take
            if position >= segmentStart + segment.size {
                segmentStart += segment.size
                i += 1
            }
        }
        return out
    }

    /// `segments` with neighbours that continue each other (same archive, same entry, next byte)
    /// joined.
    static func merged(_ segments: [Manifest.Segment]) -> [Manifest.Segment] {
        var out: [Manifest.Segment] = []
        for segment in segments where segment.size > 0 {
            if let last = out.last, last.holder == segment.holder, last.entry == segment.entry, last.offset + last.size == segment.offset {
                out[out.count - 1].size += segment.size
            } else {
                out.append(segment)
            }
        }
        return out
    }
}

/// The base's files of more than one part, by size and digest: how a file that was renamed,
/// moved or copied since the base is found where the base keeps its bytes, instead of being
/// stored again. Read from the base's change index once before the walk; holds only files of
/// more than ``PartLayout/size`` (a few per gigabyte of a workspace), so its memory follows the
/// number of large files, not of all files.
final class ContentIndex {
    private var bySize: [UInt64: [IndexedFile]] = [:]

    /// Nil when the index cannot be read to its end (then nothing is matched by content).
    init?(path: String) {
        guard let reader = try? ChangeIndexReader(path: path) else { return nil }
        do throws(ArchiveError) {
            while let file = try reader.next(largerThan: PartLayout.size) {
                if !file.parts.isEmpty { bySize[file.size, default: []].append(file) }
            }
        } catch {
            return nil
        }
    }

    /// True when some base file has this size (so reading a new file to compare is worth it).
    func hasFiles(of size: UInt64) -> Bool { bySize[size] != nil }

    /// A base file with these contents whose bytes are in none of `excluded`'s archives.
    func file(size: UInt64, sha256: String, excluding excluded: Set<String>) -> IndexedFile? {
        bySize[size]?.first { file in
            file.sha256 == sha256 && !file.layout.contains { excluded.contains($0.holder ?? file.holder) }
        }
    }
}
