/// The byte ranges of an archive a reader may see; everything else reads as zeroes. How the
/// daemon serves an archive to a restore that may take only some of its entries: the end
/// records, the central directory and the permitted entries' headers and data come through, the
/// other entries' data does not.
public struct ReadableSpans: Sendable, Equatable {
    /// Sorted, disjoint, not touching: start and end (exclusive).
    public private(set) var ranges: [(start: UInt64, end: UInt64)] = []

    public static func == (a: ReadableSpans, b: ReadableSpans) -> Bool {
        a.ranges.elementsEqual(b.ranges) { $0.start == $1.start && $0.end == $1.end }
    }

    public init() {}

    /// The spans of `archive` that hold its structure (the first signature, the central
    /// directory and the end records) and the entries among `permitted` (each from its local
    /// header up to the next entry's).
    public init(_ archive: ArchiveReader, permitting permitted: [ArchiveEntry]) {
        self.init(
            starts: archive.entries.map(\.localHeaderOffset).sorted(), directoryOffset: archive.directoryOffset,
            fileSize: archive.fileSize, permitting: permitted.map(\.localHeaderOffset))
    }

    /// The same from the sorted local header offsets of every entry (`starts`) and those of the
    /// permitted entries: what a streamed pass over the directory keeps.
    init(starts: [UInt64], directoryOffset: UInt64, fileSize: UInt64, permitting permitted: [UInt64]) {
        func next(after offset: UInt64) -> UInt64 {
            var low = 0
            var high = starts.count
            while low < high {
                let middle = (low + high) / 2
                if starts[middle] <= offset { low = middle + 1 } else { high = middle }
            }
            return low < starts.count ? min(starts[low], directoryOffset) : directoryOffset
        }
        var spans: [(UInt64, UInt64)] = [(0, min(4, fileSize)), (directoryOffset, fileSize)]
        for start in permitted { spans.append((start, next(after: start))) }
        for (start, end) in spans.sorted(by: { $0.0 < $1.0 }) where start < end {
            if let last = ranges.last, start <= last.end {
                ranges[ranges.count - 1].end = max(last.end, end)
            } else {
                ranges.append((start, end))
            }
        }
    }

    /// Zeroes the bytes of `buffer`, read at `offset`, that lie outside the spans.
    public func mask(_ buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) {
        var position = offset
        let end = offset + UInt64(buffer.count)
        // The first range that ends after `offset`.
        var low = 0
        var high = ranges.count
        while low < high {
            let middle = (low + high) / 2
            if ranges[middle].end <= offset { low = middle + 1 } else { high = middle }
        }
        var index = low
        while position < end {
            let gapEnd = index < ranges.count ? min(max(ranges[index].start, position), end) : end
            if gapEnd > position {
                let from = Int(position - offset)
                let to = Int(gapEnd - offset)
                UnsafeMutableRawBufferPointer(rebasing: buffer[from..<to]).initializeMemory(as: UInt8.self, repeating: 0)
            }
            guard index < ranges.count else { break }
            position = min(max(ranges[index].end, position), end)
            index += 1
        }
    }
}
