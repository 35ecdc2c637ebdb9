import Crypto
import PacaSystem

/// The writer side of the pipeline: takes units in order and lays down local headers, data, data
/// descriptors, the manifest entry, the central directory and the end records. It only appends,
/// so the archive is one forward stream (see ``ArchiveSink``).
///
/// Central directory headers and manifest lines go to spool files as each entry completes, so
/// memory does not grow with the number of entries.
final class ArchiveStreamWriter {
    private let output: ArchiveOutput
    private let directory: SpoolFile
    private let manifest: ManifestWriter
    private let manifestSpool: SpoolFile
    private let level: Int
    private var entryCount: UInt64 = 0
    private var streaming: (record: EntryRecord, crc: CRC32)?
    private let backupID: String
    private let index: ChangeIndexWriter?
    /// Digests of the first names of hard-linked files, for their other names' manifest lines.
    private var linkedDigests: [String: String] = [:]
    private(set) var totals = CreationTotals()
    /// The other backups whose archives hold bytes this one's files need.
    private(set) var references = Set<String>()
    /// SHA-256 of the manifest entry's contents, hex, once ``finish(createdAt:)`` wrote it.
    private(set) var manifestDigest: String?

    /// Where to write a copy of the manifest's text, if anywhere.
    private let manifestCopy: String?

    init(
        output: ArchiveOutput, spoolDirectory: String, header: ManifestHeader, level: Int, index: ChangeIndexWriter?,
        manifestCopy: String? = nil
    ) throws(SystemError) {
        self.manifestCopy = manifestCopy
        self.output = output
        self.level = level
        self.index = index
        backupID = header.backupID
        directory = try SpoolFile(in: spoolDirectory, label: "central directory spool")
        manifestSpool = try SpoolFile(in: spoolDirectory, label: "manifest spool")
        manifest = try ManifestWriter(spool: manifestSpool, header: header)
    }

    /// Writes one unit; units must arrive in the order the reader submitted them.
    func write(_ unit: WorkUnit) throws(ArchiveError) {
        switch unit.shape {
        case .whole:
            var record = unit.entry.record
            record.method = unit.encoding.method
            record.crc32 = unit.crc32
            record.size = UInt64(unit.input.count)
            record.compressedSize = UInt64(unit.output?.count ?? unit.input.count)
            record.localHeaderOffset = output.position
            try output.write(record.localHeader())
            try output.write(unit.storedBytes)
            if record.kind == .file { totals.bytesProcessed += record.size }
            try complete(record, entry: unit.entry, content: unit.input)
        case .piece(let index, let isLast):
            if index == 0 {
                var record = unit.entry.record
                record.method = unit.encoding.method
                record.localHeaderOffset = output.position
                try output.write(record.localHeader())
                streaming = (record, CRC32())
            }
            guard var (record, crc) = streaming else { preconditionFailure("a piece arrived before its entry's first piece") }
            let stored = unit.storedBytes
            try output.write(stored)
            record.compressedSize += UInt64(stored.count)
            record.size += UInt64(unit.input.count)
            crc.append(unit.crc32, length: Int64(unit.input.count))
            totals.bytesProcessed += UInt64(unit.input.count)
            streaming = (record, crc)
            if isLast {
                record.crc32 = crc.value
                try output.write(record.dataDescriptor())
                streaming = nil
                try complete(record, entry: unit.entry, content: nil)
            }
        case .manifestOnly:
            try describe(unit.entry.record, entry: unit.entry, content: nil)
        case .carried:
            guard let (archive, old) = unit.carried else { preconditionFailure("a carried unit without its source") }
            var record = unit.entry.record
            record.method = old.method
            record.crc32 = old.crc32
            record.size = old.size
            record.compressedSize = old.compressedSize
            record.usesDataDescriptor = false
            record.hasLocalZip64 = old.size >= UInt64(Zip.overflow32) || old.compressedSize >= UInt64(Zip.overflow32)
            record.localHeaderOffset = output.position
            try output.write(record.localHeader())
            let start = try archive.dataOffset(of: old)
            var copied: UInt64 = 0
            while copied < old.compressedSize {
                let want = Int(min(UInt64(1 << 20), old.compressedSize - copied))
                let block = try archive.read(at: start + copied, count: want)
                guard block.count == want else {
                    throw ArchiveError(.truncated, "the entry's data ends early in the archive it is copied from", entry: old.path)
                }
                try output.write(block)
                copied += UInt64(want)
            }
            totals.bytesProcessed += record.size
            totals.carried += 1
            try complete(record, entry: unit.entry, content: nil)
        }
    }

    private func complete(_ record: EntryRecord, entry: PendingEntry, content: [UInt8]?) throws(ArchiveError) {
        try mappingSystemErrors { () throws(SystemError) in try directory.append(record.centralHeader()) }
        entryCount += 1
        try describe(record, entry: entry, content: content)
    }

    /// Adds the entry's manifest line and change index record, and counts it.
    private func describe(_ record: EntryRecord, entry: PendingEntry, content: [UInt8]?) throws(ArchiveError) {
        var path = NameBytes.string(record.name)
        if record.kind == .directory { path.removeLast() }
        var line = Manifest.Entry(path: path, type: record.kind, size: record.size, mode: record.mode, mtime: record.modificationTime)
        if record.kind == .characterDevice || record.kind == .blockDevice { line.rdev = entry.info.rawDevice }
        if record.kind == .file && entry.info.isSparse { line.sparse = true }
        line.mtimeNanoseconds = entry.info.modified.totalNanoseconds
        line.ctimeNanoseconds = entry.info.changed.totalNanoseconds
        line.uid = record.uid
        line.gid = record.gid
        if record.kind == .symlink { line.target = content.map { String(decoding: $0, as: UTF8.self) } }
        if record.kind == .file && PartLayout.isPartPath(path) {
            // A run of a changed file's bytes: listed with its digest, counted with its file.
            line.sha256 = entry.sha256
        } else if record.kind == .file {
            line.device = entry.info.device
            line.inode = entry.info.inode
            if !entry.parts.isEmpty {
                line.parts = stride(from: 0, to: entry.parts.count, by: 32).map { HexDigest.text(entry.parts[$0..<$0 + 32]) }
            }
            if let first = entry.linkTarget {
                line.link = first
                line.sha256 = linkedDigests[first]
                totals.links += 1
                totals.bytesLinked += record.size
            } else {
                line.sha256 = entry.sha256
                line.holder = entry.holder
                if entry.problem != nil { line.partial = true }
                if entry.info.linkCount > 1 { linkedDigests[path] = entry.sha256 }
                if let segments = entry.segments {
                    line.segments = segments
                    let here = segments.filter { $0.holder == nil }.reduce(0) { $0 + $1.size }
                    references.formUnion(segments.compactMap(\.holder))
                    if here > 0 {
                        totals.files += 1
                        totals.bytesIn += here
                    } else {
                        totals.referenced += 1
                    }
                    totals.bytesReferenced += record.size - here
                } else if let holder = entry.holder {
                    references.insert(holder)
                    totals.referenced += 1
                    totals.bytesReferenced += record.size
                } else {
                    totals.files += 1
                    totals.bytesIn += record.size
                }
                if let index {
                    // A file that changed while it was read, or was cut short, is compared by reading next time.
                    let isExact = entry.problem == nil && !entry.changedWhileReading
                    try index.add(
                        IndexedFile(
                            path: path, size: record.size, mtimeNanoseconds: entry.info.modified.totalNanoseconds,
                            ctimeNanoseconds: isExact ? entry.info.changed.totalNanoseconds : 0, device: entry.info.device,
                            inode: entry.info.inode, sha256: entry.sha256, holder: entry.holder ?? backupID, parts: entry.parts,
                            segments: (entry.segments ?? []).map {
                                Manifest.Segment(holder: $0.holder ?? backupID, entry: $0.entry, offset: $0.offset, size: $0.size)
                            }))
                }
            }
        }
        try mappingSystemErrors { () throws(SystemError) in try manifest.add(line) }
        switch record.kind {
        case .file: break
        case .directory: totals.directories += 1
        case .symlink: totals.symlinks += 1
        case .fifo, .socket, .characterDevice, .blockDevice: totals.specials += 1
        }
    }

    /// Writes the manifest entry, the central directory and the end records; returns the archive's
    /// size. The output still has to be finished (flushed and synced) by the caller.
    func finish(createdAt: Int64) throws(ArchiveError) -> UInt64 {
        try mappingSystemErrors { () throws(SystemError) in try manifest.finish(references: references.sorted()) }
        try writeManifestEntry(createdAt: createdAt)
        let directoryOffset = output.position
        try directory.forEachBlock { (block, _) throws(ArchiveError) in
            try output.write(block)
        }
        let end = EndOfCentralDirectory(
            entryCount: entryCount, directoryOffset: directoryOffset, directorySize: output.position - directoryOffset)
        try output.write(end.encoded(at: output.position))
        return output.position
    }

    private func writeManifestEntry(createdAt: Int64) throws(ArchiveError) {
        var record = EntryRecord(
            name: Array(Manifest.entryPath.utf8), kind: .file, mode: 0o644, modificationTime: createdAt,
            uid: 0, gid: 0, method: level > 0 ? .deflated : .stored, usesDataDescriptor: true, hasLocalZip64: false)
        record.localHeaderOffset = output.position
        try output.write(record.localHeader())
        let deflater = level > 0 ? try Deflater(level: Int32(level)) : nil
        var crc = CRC32()
        var hasher = SHA256()
        var scratch: [UInt8] = []
        var copy = manifestCopy.flatMap { try? Syscall.open($0, .writeOnly, options: [.create, .truncate], permissions: 0o600) }
        defer {
            if let fd = copy { Syscall.close(fd) }
        }
        try manifestSpool.forEachBlock { (block, isLast) throws(ArchiveError) in
            if let fd = copy, let path = manifestCopy, (try? Syscall.writeAll(fd, block, path: path)) == nil {
                Syscall.close(fd)
                copy = nil
                try? Syscall.unlink(path)
            }
            crc.update(block)
            hasher.update(bufferPointer: block)
            record.size += UInt64(block.count)
            if let deflater {
                let bound = deflater.bound(block.count)
                if scratch.count < bound { scratch = [UInt8](repeating: 0, count: bound) }
                let produced = try scratch.withMutableBytes { (out) throws(ArchiveError) -> Int in
                    try deflater.compress(block, into: out, finish: isLast)
                }
                try scratch.withBytes { (raw) throws(ArchiveError) in
                    try output.write(UnsafeRawBufferPointer(rebasing: raw[0..<produced]))
                }
                record.compressedSize += UInt64(produced)
            } else {
                try output.write(block)
                record.compressedSize += UInt64(block.count)
            }
        }
        record.crc32 = crc.value
        manifestDigest = hasher.finalize().hexString
        try output.write(record.dataDescriptor())
        try mappingSystemErrors { () throws(SystemError) in try directory.append(record.centralHeader()) }
        entryCount += 1
    }
}

/// Counts kept while an archive is written.
struct CreationTotals {
    /// Files whose bytes this archive holds.
    var files = 0
    /// Files whose bytes another backup's archive holds, and their bytes.
    var referenced = 0
    var bytesReferenced: UInt64 = 0
    /// Files whose compressed bytes were copied from a retiring archive.
    var carried = 0
    /// Second and later names of hard-linked files, and their bytes.
    var links = 0
    var bytesLinked: UInt64 = 0
    var directories = 0
    var symlinks = 0
    /// FIFOs, sockets and device nodes recorded.
    var specials = 0
    /// Bytes of file contents stored.
    var bytesIn: UInt64 = 0
    /// Bytes of file contents the writer has put out so far (for progress).
    var bytesProcessed: UInt64 = 0
}
