import PacaSystem

/// A ZIP of one folder (or file) of a backup, written front to back into a sink as it is read:
/// what the dashboard's download streams. Each file held whole by one archive entry has that
/// entry's compressed bytes copied as they are stored, never inflated or deflated again; a file an
/// incremental backup put together from parts is inflated once and stored. Folders, symbolic
/// links and owners' modes come from the manifest; FIFOs, sockets and devices are left out (a ZIP
/// cannot hold them). With a ``ReaderLimit``, entries the user could not have read are left out,
/// by the same decision a caller's restore makes.
public enum SubtreeZip {
    public struct Summary: Sendable, Equatable {
        public var files = 0
        public var directories = 0
        public var symlinks = 0
        /// Bytes of file contents in the ZIP.
        public var bytes: UInt64 = 0
        /// Entries not in the ZIP: not the user's to read, or special files.
        public var leftOut: [String] = []
        /// Size of the ZIP.
        public var size: UInt64 = 0
    }

    /// What a download will hold, read before anything is sent: the backup's archive, its
    /// manifest (checked against the catalog's digest when given) and the manifest's lines at
    /// `path` (a folder with everything under it, or a file; empty for everything).
    public struct Plan: Sendable {
        public let own: ArchiveReader
        public let manifest: Manifest
        public let lines: [Manifest.Entry]
    }

    /// The plan for `path` of the backup whose archive is `own`. Throws ``ArchiveError``
    /// `.notFound` when the backup holds nothing there.
    public static func plan(own: any ArchiveByteSource, path: String, manifestSha256: String?) throws(ArchiveError) -> Plan {
        let reader = try ArchiveReader(source: own)
        let manifest: Manifest
        if let manifestSha256 { manifest = try reader.manifest(expecting: manifestSha256) } else { manifest = try reader.manifest() }
        let lines = manifest.entries.filter { line in
            !line.isPart && !line.path.hasPrefix(".paca/") && (path.isEmpty || line.path == path || line.path.hasPrefix(path + "/"))
        }
        guard !lines.isEmpty else { throw ArchiveError(.notFound, "backup \(manifest.backupID) holds nothing at \(path)") }
        return Plan(own: reader, manifest: manifest, lines: lines)
    }

    /// Writes the planned entries into `sink`; `references` are the archives the backup takes
    /// files from, by backup id.
    public static func write(
        _ plan: Plan, references: [String: any ArchiveByteSource], limit: ReaderLimit?, spoolDirectory: String, into sink: any ArchiveSink
    ) throws(ArchiveError) -> Summary {
        var writer = try Writer(
            own: plan.own, references: references, manifest: plan.manifest, limit: limit, spoolDirectory: spoolDirectory, sink: sink)
        for line in plan.lines { try writer.add(line) }
        return try writer.finish()
    }

    struct Writer {
        let output: ArchiveOutput
        let own: ArchiveReader
        let references: [String: any ArchiveByteSource]
        let lines: [String: Manifest.Entry]
        var scope: ReaderScope?
        var readers: [String: ArchiveReader] = [:]
        /// Each archive's entries by path, made when first needed.
        var directories: [String: [String: ArchiveEntry]] = [:]
        let central: SpoolFile
        var count: UInt64 = 0
        var summary = Summary()
        let streamer: EntryStreamer
        let block = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)

        init(
            own: ArchiveReader, references: [String: any ArchiveByteSource], manifest: Manifest, limit: ReaderLimit?,
            spoolDirectory: String,
            sink: any ArchiveSink
        ) throws(ArchiveError) {
            output = ArchiveOutput(sink: sink, hashes: false)
            self.own = own
            self.references = references
            lines = Dictionary(manifest.entries.map { ($0.path, $0) }, uniquingKeysWith: { _, last in last })
            scope = limit.map { ReaderScope($0, entries: own.entries, manifest: manifest) }
            central = try mappingSystemErrors { () throws(SystemError) in
                try SpoolFile(in: spoolDirectory, label: "download central directory")
            }
            streamer = try EntryStreamer()
            readers[manifest.backupID] = own
        }

        mutating func add(_ line: Manifest.Entry) throws(ArchiveError) {
            if var scope, !scope.permits(line) {
                self.scope = scope
                summary.leftOut.append(line.path)
                return
            }
            var record = EntryRecord(
                name: Array(NameBytes.bytes(line.path)) + (line.type == .directory ? [UInt8(ascii: "/")] : []), kind: line.type,
                mode: line.permissions ?? 0o644, modificationTime: line.mtime, uid: line.uid ?? 0, gid: line.gid ?? 0, method: .stored,
                usesDataDescriptor: false, hasLocalZip64: false)
            record.localHeaderOffset = output.position
            switch line.type {
            case .directory:
                try output.write(record.localHeader())
                summary.directories += 1
            case .symlink:
                let target = Array(NameBytes.bytes(line.target ?? ""))
                record.size = UInt64(target.count)
                record.compressedSize = record.size
                var crc = CRC32()
                target.withUnsafeBytes { crc.update($0) }
                record.crc32 = crc.value
                try output.write(record.localHeader())
                try output.write(target)
                summary.symlinks += 1
            case .file:
                let source = line.link.flatMap { lines[$0] } ?? line
                if source.segments == nil, let (reader, entry) = try stored(source.path, in: source.holder) {
                    try copy(entry, from: reader, as: &record)
                } else {
                    try assemble(source, as: &record)
                }
                summary.files += 1
                summary.bytes += record.size
            case .fifo, .socket, .characterDevice, .blockDevice:
                summary.leftOut.append(line.path)
                return
            }
            let header = record.centralHeader()
            try mappingSystemErrors { () throws(SystemError) in try central.append(header) }
            count += 1
        }

        /// The archive entry `path` of backup `holder` (this backup's own archive when nil).
        mutating func stored(_ path: String, in holder: String?) throws(ArchiveError) -> (ArchiveReader, ArchiveEntry)? {
            let reader = try self.reader(holder)
            let key = reader.path
            if directories[key] == nil {
                directories[key] = Dictionary(reader.entries.map { ($0.path, $0) }, uniquingKeysWith: { _, last in last })
            }
            return directories[key]?[path].map { (reader, $0) }
        }

        mutating func reader(_ holder: String?) throws(ArchiveError) -> ArchiveReader {
            guard let holder else { return own }
            if let known = readers[holder] { return known }
            guard let source = references[holder] else {
                throw ArchiveError(.notFound, "the archive of backup \(holder), which holds some of these files, is not available")
            }
            let reader = try ArchiveReader(source: source)
            readers[holder] = reader
            return reader
        }

        /// The entry's compressed bytes as stored, behind a header of its own.
        mutating func copy(_ entry: ArchiveEntry, from reader: ArchiveReader, as record: inout EntryRecord) throws(ArchiveError) {
            record.method = entry.method
            record.crc32 = entry.crc32
            record.size = entry.size
            record.compressedSize = entry.compressedSize
            record.hasLocalZip64 = entry.size >= UInt64(Zip.overflow32) || entry.compressedSize >= UInt64(Zip.overflow32)
            try output.write(record.localHeader())
            var at = try reader.dataOffset(of: entry)
            var left = entry.compressedSize
            while left > 0 {
                let want = Int(min(UInt64(block.count), left))
                let got = try reader.read(into: UnsafeMutableRawBufferPointer(rebasing: block[0..<want]), at: at)
                guard got == want else {
                    throw ArchiveError(.truncated, "the entry's data ends early", entry: entry.path, offset: Int64(at))
                }
                try output.write(UnsafeRawBufferPointer(rebasing: block[0..<got]))
                at += UInt64(got)
                left -= UInt64(got)
            }
        }

        /// A file spread over several entries (parts of an incremental backup): inflated once,
        /// checked against each entry's CRC-32 on the way, and stored with a data descriptor.
        mutating func assemble(_ line: Manifest.Entry, as record: inout EntryRecord) throws(ArchiveError) {
            let segments = line.segments ?? [Manifest.Segment(holder: line.holder, entry: line.path, offset: 0, size: line.size)]
            record.usesDataDescriptor = true
            record.hasLocalZip64 = line.size >= UInt64(Zip.overflow32)
            try output.write(record.localHeader())
            var crc = CRC32()
            var written: UInt64 = 0
            for segment in segments {
                guard let (reader, entry) = try stored(segment.entry, in: segment.holder) else {
                    throw ArchiveError(.notFound, "the entry \(segment.entry) that holds part of the file is missing", entry: line.path)
                }
                var skip = segment.offset
                var left = segment.size
                let output = self.output
                try streamer.stream(entry, from: reader) { (chunk) throws(ArchiveError) in
                    var piece = chunk
                    if skip > 0 {
                        let dropped = Int(min(UInt64(piece.count), skip))
                        piece = UnsafeRawBufferPointer(rebasing: piece[dropped...])
                        skip -= UInt64(dropped)
                    }
                    guard left > 0, !piece.isEmpty else { return }
                    let taken = UnsafeRawBufferPointer(rebasing: piece[..<Int(min(UInt64(piece.count), left))])
                    crc.update(taken)
                    try output.write(taken)
                    left -= UInt64(taken.count)
                    written += UInt64(taken.count)
                }
                guard left == 0 else { throw ArchiveError(.truncated, "a part of the file ends early", entry: line.path) }
            }
            record.crc32 = crc.value
            record.size = written
            record.compressedSize = written
            try output.write(record.dataDescriptor())
        }

        mutating func finish() throws(ArchiveError) -> Summary {
            defer { block.deallocate() }
            let directoryOffset = output.position
            try central.forEachBlock { (chunk, _) throws(ArchiveError) in try output.write(chunk) }
            let end = EndOfCentralDirectory(
                entryCount: count, directoryOffset: directoryOffset, directorySize: output.position - directoryOffset)
            try output.write(end.encoded(at: output.position))
            _ = try output.finish()
            summary.size = output.position
            return summary
        }
    }
}
