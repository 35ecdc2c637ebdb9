import PacaSystem

/// What change detection remembers of one file of a backup: enough to tell, without reading it,
/// that the file is the one already backed up, and where its bytes are.
public struct IndexedFile: Sendable, Equatable {
    /// The path inside the archive (root name first), as the walk names it.
    public var path: String
    public var size: UInt64
    public var mtimeNanoseconds: Int64
    /// 0 when the file must be compared by reading it (it changed while it was read, or the
    /// record came from a manifest that did not keep the inode-change time).
    public var ctimeNanoseconds: Int64
    public var device: UInt64
    public var inode: UInt64
    /// Hex SHA-256 of the contents.
    public var sha256: String
    /// The backup whose archive holds the bytes, when one entry holds them all (no ``segments``).
    public var holder: String
    /// The SHA-256 of each ``PartLayout/size`` part, 32 bytes each; empty for a file of one part.
    public var parts: [UInt8]
    /// Where the bytes are when they are spread over several entries, each with its holder named.
    public var segments: [Manifest.Segment]

    public init(
        path: String, size: UInt64, mtimeNanoseconds: Int64, ctimeNanoseconds: Int64, device: UInt64, inode: UInt64, sha256: String,
        holder: String, parts: [UInt8] = [], segments: [Manifest.Segment] = []
    ) {
        self.parts = parts
        self.segments = segments
        self.path = path
        self.size = size
        self.mtimeNanoseconds = mtimeNanoseconds
        self.ctimeNanoseconds = ctimeNanoseconds
        self.device = device
        self.inode = inode
        self.sha256 = sha256
        self.holder = holder
    }

    /// The bytes each backup's archive holds of this file.
    public var holdings: [(holder: String, bytes: UInt64)] {
        guard !segments.isEmpty else { return [(holder, size)] }
        return segments.map { ($0.holder ?? holder, $0.size) }
    }

    /// The whole file as segments: its own, or one covering the whole entry `path` of `holder`.
    var layout: [Manifest.Segment] {
        segments.isEmpty ? [Manifest.Segment(holder: holder, entry: path, offset: 0, size: size)] : segments
    }

    /// True when `info` describes this very file, unchanged: same device, inode, size, mtime and
    /// ctime to the nanosecond. Anything that writes the file or changes its metadata moves ctime,
    /// which no one can set back, so a match means the bytes are the ones recorded.
    func isUnchanged(_ info: FileInfo) -> Bool {
        ctimeNanoseconds != 0 && device == info.device && inode == info.inode && size == UInt64(info.size)
            && mtimeNanoseconds == info.modified.totalNanoseconds && ctimeNanoseconds == info.changed.totalNanoseconds
    }
}

/// The per-set change index: a file under the state directory listing, in walk order, the files
/// of one backup with what ``IndexedFile`` keeps. The next backup of the set reads it alongside its
/// walk (a merge, so memory does not grow with the number of files). It can always be made again
/// from that backup's manifest (``ChangeIndex/write(from:to:)``), so losing it costs reading, never data.
///
/// Format: `PACAIDX2`, the backup id and the root names of the walk (u16 length + bytes each),
/// then records: `H` (u16 length, id) adds a holder to the table; `F` (u32 path length, path, u64
/// size, i64 mtime ns, i64 ctime ns, u64 device, u64 inode, 32 bytes SHA-256, u32 holder number,
/// u32 part count and 32 bytes per part, u32 segment count and per segment u32 holder number,
/// u32 entry length, entry, u64 offset, u64 size) a file; `E` (u64 file count) ends it.
/// Little-endian. An index of another version is not read: it is made again from the manifest.
public enum ChangeIndex {
    static let magic = Array("PACAIDX2".utf8)

    /// Writes the index of the backup `manifest` describes to `path` (replacing it), from the
    /// manifest alone. Files of a version 1 manifest get no ctime, so the next backup compares
    /// them by reading (and still writes no bytes for the unchanged ones).
    public static func write(from manifest: Manifest, to path: String) throws(ArchiveError) {
        let roots = Self.rootNames(of: manifest.entries.map(\.path))
        let writer = try ChangeIndexWriter(path: path, backupID: manifest.backupID, roots: roots)
        for entry in manifest.entries where entry.type == .file && entry.link == nil && entry.partial != true && !entry.isPart {
            guard let sha256 = entry.sha256 else { continue }
            let segments = (entry.segments ?? []).map {
                Manifest.Segment(holder: $0.holder ?? manifest.backupID, entry: $0.entry, offset: $0.offset, size: $0.size)
            }
            try writer.add(
                IndexedFile(
                    path: entry.path, size: entry.size, mtimeNanoseconds: entry.mtimeNanoseconds ?? entry.mtime &* 1_000_000_000,
                    ctimeNanoseconds: entry.ctimeNanoseconds ?? 0, device: entry.device ?? 0, inode: entry.inode ?? 0, sha256: sha256,
                    holder: entry.holder ?? manifest.backupID, parts: (entry.parts ?? []).flatMap(HexDigest.bytes), segments: segments))
        }
        try writer.finish()
        writer.close()
        try commit(path)
    }

    /// Puts the index a finished ``ChangeIndexWriter`` left at `path + ".new"` in place.
    public static func commit(_ path: String) throws(ArchiveError) {
        do { try DurableFile.rename(path + ".new", to: path) } catch { throw ArchiveError(error) }
    }

    /// Removes an index written for a backup that did not complete.
    public static func discard(_ path: String) {
        _ = try? DurableFile.remove(path + ".new")
    }

    /// The root names in the order the walk met them.
    static func rootNames(of paths: [String]) -> [String] {
        var seen = Set<String>()
        var roots: [String] = []
        for path in paths where !path.hasPrefix(".paca/") {
            let root = String(path.prefix { $0 != "/" })
            if seen.insert(root).inserted { roots.append(root) }
        }
        return roots
    }

    /// The backup id an index file describes, or nil when there is no readable index at `path`.
    public static func backupID(at path: String) -> String? {
        (try? ChangeIndexReader(path: path))?.backupID
    }
}

/// Writes a change index to `path + ".new"`; ``ChangeIndex/commit(_:)`` puts it in place.
public final class ChangeIndexWriter {
    let path: String
    private let temporary: String
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var holders: [String: UInt32] = [:]
    private var count: UInt64 = 0
    private var isOpen = true

    public init(path: String, backupID: String, roots: [String]) throws(ArchiveError) {
        self.path = path
        temporary = path + ".new"
        do {
            _ = try? DurableFile.remove(temporary)
            fd = try Syscall.open(temporary, .writeOnly, options: [.create, .exclusive, .noFollow], permissions: 0o600)
        } catch {
            throw ArchiveError(error)
        }
        var w = ByteWriter(capacity: 256)
        w.append(ChangeIndex.magic)
        Self.string(backupID, into: &w)
        w.u16(UInt16(clamping: roots.count))
        for root in roots.prefix(Int(UInt16.max)) { Self.string(root, into: &w) }
        buffer = w.bytes
        buffer.reserveCapacity(1 << 20)
    }

    deinit {
        if isOpen { Syscall.close(fd) }
    }

    private static func string(_ text: String, into w: inout ByteWriter) {
        let bytes = Array(text.utf8.prefix(Int(UInt16.max)))
        w.u16(UInt16(bytes.count))
        w.append(bytes)
    }

    public func add(_ file: IndexedFile) throws(ArchiveError) {
        var w = ByteWriter(capacity: 128 + file.path.utf8.count + file.parts.count)
        func number(_ id: String) -> UInt32 {
            if let known = holders[id] { return known }
            let holder = UInt32(holders.count)
            holders[id] = holder
            w.u8(UInt8(ascii: "H"))
            Self.string(id, into: &w)
            return holder
        }
        let holder = number(file.holder)
        let segmentHolders = file.segments.map { number($0.holder ?? file.holder) }
        w.u8(UInt8(ascii: "F"))
        w.u32(UInt32(file.path.utf8.count))
        w.append(file.path.utf8)
        w.u64(file.size)
        w.u64(UInt64(bitPattern: file.mtimeNanoseconds))
        w.u64(UInt64(bitPattern: file.ctimeNanoseconds))
        w.u64(file.device)
        w.u64(file.inode)
        w.append(HexDigest.bytes(file.sha256))
        w.u32(holder)
        w.u32(UInt32(file.parts.count / 32))
        w.append(file.parts)
        w.u32(UInt32(file.segments.count))
        for (segment, holder) in zip(file.segments, segmentHolders) {
            w.u32(holder)
            w.u32(UInt32(segment.entry.utf8.count))
            w.append(segment.entry.utf8)
            w.u64(segment.offset)
            w.u64(segment.size)
        }
        buffer.append(contentsOf: w.bytes)
        count += 1
        if buffer.count >= 1 << 20 { try flush() }
    }

    private func flush() throws(ArchiveError) {
        do { try Syscall.writeAll(fd, buffer, path: temporary) } catch { throw ArchiveError(error) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes the end record and syncs the file.
    public func finish() throws(ArchiveError) {
        var w = ByteWriter(capacity: 9)
        w.u8(UInt8(ascii: "E"))
        w.u64(count)
        buffer.append(contentsOf: w.bytes)
        try flush()
        do { try Syscall.fsync(fd, path: temporary) } catch { throw ArchiveError(error) }
    }

    /// Closes the finished file; it stays at `path + ".new"` for ``ChangeIndex/commit(_:)``.
    public func close() {
        guard isOpen else { return }
        isOpen = false
        Syscall.close(fd)
    }

    /// Removes the unfinished index.
    public func abandon() {
        if isOpen {
            isOpen = false
            Syscall.close(fd)
        }
        _ = try? DurableFile.remove(temporary)
    }
}

/// Reads a change index front to back.
public final class ChangeIndexReader {
    public let backupID: String
    /// Root names in the order of the walk that wrote the index.
    public let roots: [String]
    private let fd: Int32
    private let path: String
    private var buffer: [UInt8] = []
    private var position = 0
    private var isAtEnd = false
    private var holders: [String] = []
    private var count: UInt64 = 0

    public init(path: String) throws(ArchiveError) {
        self.path = path
        do { fd = try Syscall.open(path, .readOnly) } catch { throw ArchiveError(error) }
        do throws(ArchiveError) {
            guard try Self.take(8, fd: fd, path: path) == ChangeIndex.magic else {
                throw ArchiveError(.corrupt, "\(path) is not a change index")
            }
            backupID = try Self.string(fd: fd, path: path)
            let rootCount = Int(try Self.u16(fd: fd, path: path))
            var roots: [String] = []
            for _ in 0..<rootCount { roots.append(try Self.string(fd: fd, path: path)) }
            self.roots = roots
        } catch {
            Syscall.close(fd)
            throw error
        }
    }

    deinit { Syscall.close(fd) }

    // The header is read unbuffered (a few small reads), records through the buffer.
    private static func take(_ count: Int, fd: Int32, path: String) throws(ArchiveError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let got: Int
        do { got = try bytes.withMutableBytes { (raw) throws(SystemError) in try Syscall.readFully(fd, raw, path: path) } } catch {
            throw ArchiveError(error)
        }
        guard got == count else { throw ArchiveError(.truncated, "the change index \(path) is cut short") }
        return bytes
    }

    private static func u16(fd: Int32, path: String) throws(ArchiveError) -> UInt16 {
        let bytes = try take(2, fd: fd, path: path)
        return UInt16(bytes[0]) | UInt16(bytes[1]) << 8
    }

    private static func string(fd: Int32, path: String) throws(ArchiveError) -> String {
        String(decoding: try take(Int(try u16(fd: fd, path: path)), fd: fd, path: path), as: UTF8.self)
    }

    private func fill(_ needed: Int) throws(ArchiveError) {
        guard buffer.count - position < needed else { return }
        buffer.removeFirst(position)
        position = 0
        let want = max(needed - buffer.count, 1 << 20)
        let start = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: want))
        let got: Int
        do {
            got = try buffer.withMutableBytes { (raw) throws(SystemError) in
                try Syscall.readFully(fd, UnsafeMutableRawBufferPointer(rebasing: raw[start...]), path: path)
            }
        } catch {
            throw ArchiveError(error)
        }
        buffer.removeLast(want - got)
        guard buffer.count >= needed else { throw ArchiveError(.truncated, "the change index \(path) is cut short") }
    }

    private func u8() throws(ArchiveError) -> UInt8 {
        try fill(1)
        defer { position += 1 }
        return buffer[position]
    }

    private func integer(_ size: Int) throws(ArchiveError) -> UInt64 {
        try fill(size)
        var value: UInt64 = 0
        for i in 0..<size { value |= UInt64(buffer[position + i]) << UInt64(8 * i) }
        position += size
        return value
    }

    private func bytes(_ count: Int) throws(ArchiveError) -> ArraySlice<UInt8> {
        try fill(count)
        defer { position += count }
        return buffer[position..<position + count]
    }

    /// The next file, or nil at the end. Throws when the index is damaged or cut short.
    public func next() throws(ArchiveError) -> IndexedFile? { try next(largerThan: nil) }

    /// The next file of more than `minimum` bytes (any file when nil); smaller ones are passed over
    /// without decoding their names.
    func next(largerThan minimum: UInt64?) throws(ArchiveError) -> IndexedFile? {
        while !isAtEnd {
            switch try u8() {
            case UInt8(ascii: "H"):
                let length = Int(try integer(2))
                holders.append(String(decoding: try bytes(length), as: UTF8.self))
            case UInt8(ascii: "F"):
                let length = Int(try integer(4))
                guard length <= 1 << 20 else { throw ArchiveError(.corrupt, "the change index \(path) has a path of \(length) bytes") }
                let nameBytes = try bytes(length)
                let size = try integer(8)
                if let minimum, size <= minimum {
                    _ = try bytes(8 + 8 + 8 + 8 + 32)  // times, device, inode, digest
                    let holder = Int(try integer(4))
                    guard holder < holders.count else { throw ArchiveError(.corrupt, "the change index \(path) names an unknown holder") }
                    let partCount = Int(try integer(4))
                    guard partCount <= 1 << 26 else {
                        throw ArchiveError(.corrupt, "the change index \(path) has a file of \(partCount) parts")
                    }
                    _ = try bytes(32 * partCount)
                    let segmentCount = Int(try integer(4))
                    for _ in 0..<segmentCount {
                        guard Int(try integer(4)) < holders.count else {
                            throw ArchiveError(.corrupt, "the change index \(path) names an unknown holder")
                        }
                        let entryLength = Int(try integer(4))
                        guard entryLength <= 1 << 20 else {
                            throw ArchiveError(.corrupt, "the change index \(path) has an entry of \(entryLength) bytes")
                        }
                        _ = try bytes(entryLength + 16)
                    }
                    count += 1
                    continue
                }
                let name = String(decoding: nameBytes, as: UTF8.self)
                let mtime = Int64(bitPattern: try integer(8))
                let ctime = Int64(bitPattern: try integer(8))
                let device = try integer(8)
                let inode = try integer(8)
                let digest = HexDigest.text(try bytes(32))
                let holder = Int(try integer(4))
                guard holder < holders.count else { throw ArchiveError(.corrupt, "the change index \(path) names an unknown holder") }
                let partCount = Int(try integer(4))
                guard partCount <= 1 << 26 else {
                    throw ArchiveError(.corrupt, "the change index \(path) has a file of \(partCount) parts")
                }
                let parts = Array(try bytes(32 * partCount))
                let segmentCount = Int(try integer(4))
                guard segmentCount <= partCount else {
                    throw ArchiveError(.corrupt, "the change index \(path) has more segments than parts in \(name)")
                }
                var segments: [Manifest.Segment] = []
                for _ in 0..<segmentCount {
                    let owner = Int(try integer(4))
                    guard owner < holders.count else { throw ArchiveError(.corrupt, "the change index \(path) names an unknown holder") }
                    let length = Int(try integer(4))
                    guard length <= 1 << 20 else {
                        throw ArchiveError(.corrupt, "the change index \(path) has an entry of \(length) bytes")
                    }
                    let entry = String(decoding: try bytes(length), as: UTF8.self)
                    segments.append(
                        Manifest.Segment(holder: holders[owner], entry: entry, offset: try integer(8), size: try integer(8)))
                }
                count += 1
                return IndexedFile(
                    path: name, size: size, mtimeNanoseconds: mtime, ctimeNanoseconds: ctime, device: device, inode: inode,
                    sha256: digest, holder: holders[holder], parts: parts, segments: segments)
            case UInt8(ascii: "E"):
                guard try integer(8) == count else { throw ArchiveError(.corrupt, "the change index \(path) lost records") }
                isAtEnd = true
            case let other:
                throw ArchiveError(.corrupt, "the change index \(path) has an unknown record type \(other)")
            }
        }
        return nil
    }
}

/// Looks files up in a change index in walk order: each lookup moves forward through the index,
/// so a walk and the index it is compared with are read side by side, once each.
///
/// The walk visits roots in their configured order and below each root a directory before its
/// contents, names in byte order; ``WalkOrder`` compares paths the same way. A path the index
/// has passed without meeting is not in it. If the index's order disagrees (roots reordered),
/// files are simply not found and are read again: slower, never wrong.
final class ChangeIndexCursor {
    private let reader: ChangeIndexReader
    private let order: WalkOrder
    private var current: IndexedFile?
    private var isDone = false
    /// Set when the index could not be read to its end; the files after that point are read again.
    private(set) var problem: ArchiveError?

    init(reader: ChangeIndexReader, roots: [String]) {
        self.reader = reader
        order = WalkOrder(roots: roots)
    }

    var backupID: String { reader.backupID }

    /// The indexed file at `path`, if the index has it.
    func lookup(_ path: String) -> IndexedFile? {
        while !isDone {
            if current == nil {
                do { current = try reader.next() } catch {
                    problem = error
                    isDone = true
                    return nil
                }
                if current == nil {
                    isDone = true
                    return nil
                }
            }
            guard let candidate = current else { return nil }
            switch order.compare(candidate.path, path) {
            case .before: current = nil
            case .same:
                current = nil
                return candidate
            case .after: return nil
            }
        }
        return nil
    }
}

/// The order in which ``SourceWalker`` visits archive paths.
struct WalkOrder {
    enum Relation { case before, same, after }
    private let rank: [Substring: Int]

    init(roots: [String]) {
        var rank: [Substring: Int] = [:]
        for (index, root) in roots.enumerated() { rank[Substring(root)] = index }
        self.rank = rank
    }

    func compare(_ a: String, _ b: String) -> Relation {
        var left = a.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).makeIterator()
        var right = b.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).makeIterator()
        var isRoot = true
        while true {
            switch (left.next(), right.next()) {
            case (nil, nil): return .same
            case (nil, _): return .before
            case (_, nil): return .after
            case let (x?, y?):
                if isRoot {
                    isRoot = false
                    let rx = rank[Substring(x)] ?? Int.max
                    let ry = rank[Substring(y)] ?? Int.max
                    if rx != ry { return rx < ry ? .before : .after }
                }
                if x.elementsEqual(y) { continue }
                return x.lexicographicallyPrecedes(y) ? .before : .after
            }
        }
    }
}

/// Hex text and raw bytes of a SHA-256 digest.
enum HexDigest {
    static func bytes(_ hex: String) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        let digits = Array(hex.utf8)
        guard digits.count == 64 else { return out }
        func value(_ c: UInt8) -> UInt8 {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
            default: 0
            }
        }
        for i in 0..<32 { out[i] = value(digits[2 * i]) << 4 | value(digits[2 * i + 1]) }
        return out
    }

    static func text(_ bytes: ArraySlice<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
