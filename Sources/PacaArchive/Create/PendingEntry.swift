import Crypto
import PacaSystem

/// What the writer needs to know about a file whose pieces are in flight, shared by its pieces.
///
/// The reader thread sets `record` before it submits the entry's first unit and never changes it
/// after; it fills `sha256`, `problem` and `changedWhileReading` before it submits the entry's last
/// unit. The queue's lock orders those writes before the writer thread reads them. The writer keeps
/// its own running state (offset, CRC, sizes) and never writes here.
final class PendingEntry: @unchecked Sendable {
    var record: EntryRecord
    let sourcePath: String
    /// What `lstat` (or, for a file, `fstat` once opened) said of it: the manifest keeps its
    /// nanosecond times and identity, and the change index all of it.
    let info: FileInfo
    var sha256 = ""
    /// The backup whose archive holds the bytes of an unchanged file (``WorkUnit/Shape/manifestOnly``).
    var holder: String?
    /// The first name of a hard-linked file this entry is another name of.
    var linkTarget: String?
    /// SHA-256 of each ``PartLayout/size`` part (32 bytes each) of a file of more than one part.
    var parts: [UInt8] = []
    /// Where the bytes of a file changed in part are (own part entries have no holder).
    var segments: [Manifest.Segment]?
    var problem: SourceProblem?
    /// The file changed size or time while it was read (what was stored is still self-consistent).
    var changedWhileReading = false

    init(record: EntryRecord, sourcePath: String, info: FileInfo) {
        self.record = record
        self.sourcePath = sourcePath
        self.info = info
    }
}

/// One unit of work flowing from the reader through a compressor to the writer, in sequence order.
final class WorkUnit: @unchecked Sendable {
    enum Shape {
        /// A whole entry in one piece: directory, symlink or small file. The worker picks the method.
        case whole
        /// Piece `index` of a large file; the method was chosen by the reader.
        case piece(index: Int, isLast: Bool)
        /// An entry of the manifest only: a file whose bytes another backup's archive holds, or
        /// another name of a hard-linked file. Nothing goes into the archive's entries.
        case manifestOnly
        /// An unchanged file whose compressed bytes are copied from an archive being retired
        /// (``WorkUnit/carried``): no reading of the source, no recompression.
        case carried
    }

    let entry: PendingEntry
    let shape: Shape
    /// The uncompressed bytes.
    let input: [UInt8]
    /// The 32 KiB of file data before this piece, for deflate's window.
    let dictionary: [UInt8]
    /// How the bytes are encoded: chosen by the reader for pieces, by the compressor for whole units.
    var encoding: Encoding
    /// Set by the compressor: the bytes to write (compressed), or nil to write `input` as is.
    var output: [UInt8]?
    var crc32: UInt32 = 0
    var needsWork: Bool
    /// For ``Shape/carried``: the archive and entry whose compressed bytes are copied.
    var carried: (archive: ArchiveReader, entry: ArchiveEntry)?

    init(entry: PendingEntry, shape: Shape, input: [UInt8], dictionary: [UInt8] = [], encoding: Encoding = .store, needsWork: Bool) {
        self.entry = entry
        self.encoding = encoding
        self.shape = shape
        self.input = input
        self.dictionary = dictionary
        self.needsWork = needsWork
    }

    /// The bytes the writer puts in the archive for this unit.
    var storedBytes: [UInt8] { output ?? input }
}
