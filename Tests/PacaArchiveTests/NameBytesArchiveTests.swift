import Foundation
import PacaSystem
import PacaTestSupport
import Testing

@testable import PacaArchive

/// Any name Linux allows is backed up and restored byte for byte: EUC-KR and Latin-1 names from
/// old Windows shares, a folder whose name is not UTF-8, a newline in a name, 255-byte names.
@Suite struct NameBytesArchiveTests {
    /// Names as raw bytes, and what each file holds.
    static let names: [([UInt8], String)] = [
        ([0xB5, 0xA5, 0xC0, 0xCC, 0xC5, 0xCD] + Array(".csv".utf8), "euc-kr\n"),  // "데이터" in EUC-KR
        (Array("caf".utf8) + [0xE9] + Array(".txt".utf8), "latin-1\n"),
        (Array("line\nbreak.txt".utf8), "newline\n"),
        (Array(repeating: UInt8(ascii: "n"), count: 255), "long\n"),
        (Array("한국어 ".utf8) + [0xFF] + Array(".txt".utf8), "mixed\n"),
        (Array("real-\u{F7E9}-escape.txt".utf8), "private use\n"),  // a name that holds an escape scalar itself
    ]
    static let folder: [UInt8] = [UInt8(ascii: "d"), 0xFF]

    /// Writes the tree under `root` through raw-byte paths (Foundation would change them).
    static func writeTree(_ root: String) throws {
        let base = SystemPath(root)
        try Syscall.mkdir(base, permissions: 0o755)
        try Syscall.mkdir(base.appending(folder), permissions: 0o755)
        for (name, text) in names {
            for directory in [base, base.appending(folder)] {
                let fd = try Syscall.open(directory.appending(name), .writeOnly, options: [.create, .exclusive], permissions: 0o644)
                try Syscall.writeAll(fd, Array(text.utf8), path: directory.appending(name))
                Syscall.close(fd)
            }
        }
    }

    /// Every file under `root` by its raw relative path, with its contents.
    static func snapshot(_ root: SystemPath, prefix: [UInt8] = []) throws -> [[UInt8]: [UInt8]] {
        var found: [[UInt8]: [UInt8]] = [:]
        for entry in try Syscall.entries(of: root) {
            let path = root.appending(entry.name)
            let relative = prefix.isEmpty ? entry.name : prefix + [UInt8(ascii: "/")] + entry.name
            let info = try Syscall.lstat(path)
            if info.kind == .directory {
                found[relative + [UInt8(ascii: "/")]] = []
                found.merge(try snapshot(path, prefix: relative)) { a, _ in a }
            } else {
                let fd = try Syscall.openForReading(path)
                found[relative] = try Syscall.readAll(fd, path: path)
                Syscall.close(fd)
            }
        }
        return found
    }

    @Test func namesThatAreNotUTF8RoundTripThroughPacadAndUnzip() throws {
        let temp = TemporaryFolder()
        try Self.writeTree(temp.sub("ws"))
        let result = try makeArchive([temp.sub("ws")], at: temp.sub("ws.zip"))
        #expect(result.warnings.isEmpty && result.errors.isEmpty, "\(result.warnings) \(result.errors)")
        #expect(result.files == 2 * Self.names.count)
        let original = try Self.snapshot(SystemPath(temp.sub("ws")))
        #expect(original.count == 2 * Self.names.count + 1)

        // pacad's own extractor gives back the same bytes.
        let extracted = try ArchiveExtractor.extract(temp.sub("ws.zip"), to: temp.sub("ours"))
        #expect(extracted.problems.isEmpty, "\(extracted.problems)")
        #expect(try Self.snapshot(SystemPath(temp.sub("ours/ws"))) == original)

        // So does Info-ZIP's unzip: names that are not UTF-8 are written raw, without bit 11. It
        // needs -^ to keep control characters (the newline; it counts 0xFF among them too).
        guard let unzip = Tool.require("unzip", package: "unzip") else { return }
        let unzipped = try Tool.run(unzip, ["-q", "-^", temp.sub("ws.zip"), "-d", temp.sub("theirs")])
        #expect(unzipped.status == 0, "\(unzipped.stderr)")
        var theirs = try Self.snapshot(SystemPath(temp.sub("theirs/ws")))
        theirs = theirs.filter { !$0.key.starts(with: Array(".paca".utf8)) }
        #expect(theirs == original, "unzip gave \(theirs.keys.map { SystemPath.display($0) }.sorted())")

        // The manifest names every file, losslessly, and verify is clean.
        let reader = try ArchiveReader(path: temp.sub("ws.zip"))
        let manifest = try reader.manifest()
        let manifestNames = Set(manifest.entries.map { NameBytes.bytes($0.path) })
        for (name, _) in Self.names {
            #expect(manifestNames.contains(Array("ws/".utf8) + name))
            #expect(manifestNames.contains(Array("ws/".utf8) + Self.folder + [UInt8(ascii: "/")] + name))
        }
        let verified = try ArchiveVerifier.verify(temp.sub("ws.zip"))
        #expect(verified.isValid, "\(verified.problems)")
    }

    @Test func theCodecIsABijection() {
        var rng = SeededRandom(seed: 7)
        for _ in 0..<20_000 {
            let bytes = rng.bytes(Int(rng.next() % 12)).map { $0 == 0 || $0 == UInt8(ascii: "/") ? 0x80 : $0 }
            let text = NameBytes.string(bytes)
            #expect(NameBytes.bytes(text) == bytes, "\(bytes)")
            #expect(NameBytes.isUTF8(text) == (String(validating: bytes, as: UTF8.self).map { NameBytes.bytes($0) == bytes } ?? false))
        }
        #expect(NameBytes.string(Array("plain ascii".utf8)) == "plain ascii")
        #expect(NameBytes.string(Array("한국어".utf8)) == "한국어")
        #expect(NameBytes.display(NameBytes.string(Array("caf".utf8) + [0xE9])) == "caf\\xe9")
        #expect(NameBytes.display("a\nb\\c") == "a\\nb\\\\c")
        #expect(NameBytes.display("a\\b") == "a\\b")
    }
}
