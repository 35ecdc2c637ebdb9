import PacaArchive
import PacaSystem

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Reads a manifest as pacad writes it (a header line, one entry object per line, a closing line)
/// from a file, one entry at a time: a manifest of a million files is never held whole.
enum ManifestFile {
    static func forEachEntry(at path: String, _ body: (Manifest.Entry) throws(FileIndexError) -> Void) throws(FileIndexError) {
        let fd: Int32
        do { fd = try Syscall.openForReading(path) } catch { throw FileIndexError("cannot read the manifest copy \(path): \(error)") }
        defer { Syscall.close(fd) }
        let decoder = JSONDecoder()
        let block = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { block.deallocate() }
        var pending: [UInt8] = []
        var sawHeader = false
        var sawEnd = false
        var count = 0
        struct Trailer: Decodable {
            var entryCount: Int
            enum CodingKeys: String, CodingKey { case entryCount = "entry_count" }
        }
        func line(_ bytes: ArraySlice<UInt8>) throws(FileIndexError) {
            var text = bytes
            while let last = text.last, last == UInt8(ascii: ",") || last == UInt8(ascii: "\r") { text = text.dropLast() }
            guard let first = text.first else { return }
            if !sawHeader {
                guard text.starts(with: Array("{\"format\":\"\(Manifest.formatName)\"".utf8)) else {
                    throw FileIndexError("\(path) is not a pacad manifest")
                }
                sawHeader = true
                return
            }
            if first == UInt8(ascii: "]") {
                // `],"kind":…,"entry_count":N,…}`: the entries must add up to what it says.
                let trailer = try? decoder.decode(Trailer.self, from: Data([UInt8(ascii: "{")] + text.dropFirst(2)))
                guard let trailer, trailer.entryCount == count else {
                    throw FileIndexError("the manifest copy \(path) ends in a closing line that does not match its \(count) entries")
                }
                sawEnd = true
                return
            }
            count += 1
            let entry: Manifest.Entry
            do { entry = try decoder.decode(Manifest.Entry.self, from: Data(text)) } catch {
                throw FileIndexError("a line of the manifest copy \(path) is not an entry: \(error)")
            }
            try body(entry)
        }
        while true {
            let got: Int
            do { got = try Syscall.read(fd, block, path: path) } catch { throw FileIndexError("cannot read \(path): \(error)") }
            if got == 0 { break }
            pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: block[0..<got]))
            var start = pending.startIndex
            while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                try line(pending[start..<newline])
                start = newline + 1
            }
            pending.removeSubrange(..<start)
        }
        if !pending.isEmpty { try line(pending[...]) }
        guard sawEnd else { throw FileIndexError("the manifest copy \(path) ends before its closing line") }
    }
}
