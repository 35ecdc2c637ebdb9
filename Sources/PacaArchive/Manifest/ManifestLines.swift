import Crypto
import PacaCore
import PacaSystem

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Reads a manifest one entry at a time, as pacad writes it (``ManifestWriter``: a header line
/// ending in `"entries":[`, one entry object per line, and a closing line with the counts), so
/// that checking an archive of millions of files never holds its manifest whole. Hashes every
/// byte it reads: ``sha256`` is the manifest's digest once ``next()`` has returned nil.
///
/// Checks what ``Manifest/decode(_:)`` checks: the format and version, each file's segments and
/// part digests, and that the entries add up to the count the manifest gives.
final class ManifestLines {
    /// The header's fields.
    struct Header: Decodable {
        var format: String
        var version: Int
        var backupID: String
        var setName: String?
        var createdAt: String?
        var parent: String?

        enum CodingKeys: String, CodingKey {
            case format, version, parent
            case backupID = "backup_id"
            case setName = "set"
            case createdAt = "created_at"
        }
    }

    /// The closing line's fields.
    struct Trailer: Decodable {
        var entryCount: Int
        var references: [String]?
        var bytes: UInt64?
        enum CodingKeys: String, CodingKey {
            case references, bytes
            case entryCount = "entry_count"
        }
    }

    private(set) var header = Header(format: "", version: 0, backupID: "")
    /// The closing line's fields, once every entry was read.
    private(set) var trailer: Trailer?
    private let cursor: EntryCursor
    private var block = [UInt8](repeating: 0, count: 1 << 20)
    /// Bytes read and not yet handed out as lines: `pending[pendingStart...]`.
    private var pending: [UInt8] = []
    private var pendingStart = 0
    private var atEnd = false
    private var hasher = SHA256()
    private let decoder = JSONDecoder()
    private var count = 0
    /// The manifest's SHA-256, hex, once every entry was read.
    private(set) var sha256: String?

    /// Opens the manifest `entry` of `archive`; nil when it is not laid out one entry per line (a
    /// manifest pacad did not write), which the caller then reads whole.
    init?(_ entry: ArchiveEntry, in archive: ArchiveReader) throws(ArchiveError) {
        cursor = try EntryCursor(entry, in: archive)
        guard let first = try nextLine(), first.starts(with: Array(#"{"format":"#.utf8)),
            first.reversed().starts(with: Array(#""entries":["#.utf8).reversed())
        else {
            return nil
        }
        let header: Header
        do { header = try decoder.decode(Header.self, from: Data(first + Array("]}".utf8))) } catch {
            throw ArchiveError(.corrupt, "the manifest's header is not valid: \(error)", entry: Manifest.entryPath)
        }
        guard header.format == Manifest.formatName else {
            throw ArchiveError(
                .corrupt, "the manifest's format is \"\(header.format)\", expected \"\(Manifest.formatName)\"", entry: Manifest.entryPath)
        }
        guard (1...Manifest.currentVersion).contains(header.version) else {
            throw ArchiveError(
                .corrupt, "the manifest is version \(header.version); this pacad reads versions 1 to \(Manifest.currentVersion)",
                entry: Manifest.entryPath)
        }
        self.header = header
    }

    /// The next entry, or nil after the last (the closing line read and checked).
    func next() throws(ArchiveError) -> Manifest.Entry? {
        while true {
            guard var line = try nextLine() else {
                throw ArchiveError(.corrupt, "the manifest ends before its closing line", entry: Manifest.entryPath)
            }
            if line.isEmpty { continue }
            if line.first == UInt8(ascii: "]") {
                try close(Array(line.dropFirst()))
                return nil
            }
            if line.last == UInt8(ascii: ",") { line.removeLast() }
            let entry: Manifest.Entry
            do { entry = try decoder.decode(Manifest.Entry.self, from: Data(line)) } catch {
                throw ArchiveError(.corrupt, "the manifest's entry \(count + 1) is not valid: \(error)", entry: Manifest.entryPath)
            }
            if let segments = entry.segments, segments.reduce(0, { $0 &+ $1.size }) != entry.size {
                throw ArchiveError(.corrupt, "the manifest's segments of the file do not add up to its size", entry: entry.path)
            }
            if let parts = entry.parts, parts.count != PartLayout.count(of: entry.size) {
                throw ArchiveError(
                    .corrupt, "the manifest lists \(parts.count) part digests for a file of \(entry.size) bytes", entry: entry.path)
            }
            count += 1
            return entry
        }
    }

    /// The closing line (`],"kind":…,"entry_count":N,…}`) and what follows it: the count must match.
    private func close(_ rest: [UInt8]) throws(ArchiveError) {
        var tail = rest
        while let line = try nextLine() { tail += [0x0A] + line }
        guard tail.first == UInt8(ascii: ",") else {
            throw ArchiveError(.corrupt, "the manifest's closing line is not valid", entry: Manifest.entryPath)
        }
        let trailer: Trailer
        do { trailer = try decoder.decode(Trailer.self, from: Data([UInt8(ascii: "{")] + tail.dropFirst())) } catch {
            throw ArchiveError(.corrupt, "the manifest's closing line is not valid: \(error)", entry: Manifest.entryPath)
        }
        guard trailer.entryCount == count else {
            throw ArchiveError(
                .corrupt, "the manifest lists \(count) entries but says it has \(trailer.entryCount)", entry: Manifest.entryPath)
        }
        self.trailer = trailer
        sha256 = hasher.finalize().hexString
    }

    /// The next line without its newline; nil at the end of the contents.
    private func nextLine() throws(ArchiveError) -> [UInt8]? {
        var searchFrom = pendingStart
        while true {
            if let newline = pending[searchFrom...].firstIndex(of: 0x0A) {
                let line = Array(pending[pendingStart..<newline])
                pendingStart = newline + 1
                return line
            }
            if atEnd {
                guard pendingStart < pending.count else { return nil }
                defer { pendingStart = pending.count }
                return Array(pending[pendingStart...])
            }
            // Keep only what is not handed out yet, then read the next block after it.
            pending.removeSubrange(..<pendingStart)
            pendingStart = 0
            searchFrom = pending.count
            let cursor = self.cursor
            let n = try block.withMutableBytes { (raw) throws(ArchiveError) -> Int in try cursor.read(into: raw) }
            if n == 0 {
                atEnd = true
                continue
            }
            block.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            pending.append(contentsOf: block[0..<n])
            // A line longer than any one entry's is not pacad's layout.
            guard pending.count < 64 << 20 else {
                throw ArchiveError(.corrupt, "a manifest line is over 64 MiB", entry: Manifest.entryPath)
            }
        }
    }
}
