import PacaCore
import PacaTestSupport
import Testing

@testable import PacaArchive

/// What a user who is not root may take out of an archive, decided the way the kernel decides.
@Suite struct ReaderScopeTests {
    static func entry(_ path: String, _ kind: ArchiveEntry.Kind, _ mode: UInt32, uid: UInt32 = 0, gid: UInt32 = 0, at offset: UInt64 = 0)
        -> ArchiveEntry
    {
        ArchiveEntry(
            path: path, kind: kind, mode: mode, modificationTime: 0, uid: uid, gid: gid, method: .deflated, crc32: 0, compressedSize: 0,
            size: 0, localHeaderOffset: offset, flags: 0)
    }

    @Test func ownerGroupAndOthersBitsDecideInTheKernelsOrder() {
        let alice = ReadAccess(uid: 1001, groups: [1001, 50])
        #expect(alice.grants(4, mode: 0o400, owner: 1001, group: 0))
        #expect(!alice.grants(4, mode: 0o044, owner: 1001, group: 50), "the owner's bits win even when they grant less")
        #expect(alice.grants(4, mode: 0o040, owner: 0, group: 50))
        #expect(!alice.grants(4, mode: 0o404, owner: 0, group: 50), "a member gets the group's bits, not the others'")
        #expect(alice.grants(4, mode: 0o004, owner: 0, group: 0))
        #expect(!alice.grants(4, mode: 0o660, owner: nil, group: nil), "unknown owners match nobody")
        #expect(alice.grants(1, mode: 0o711, owner: 0, group: 0))
    }

    @Test func foldersAboveMustGrantSearchAndClosedRootsHideEverything() {
        let entries = [
            Self.entry("data", .directory, 0o755), Self.entry("data/open.txt", .file, 0o644),
            Self.entry("data/secret.txt", .file, 0o600), Self.entry("data/closed", .directory, 0o700),
            Self.entry("data/closed/inner.txt", .file, 0o644), Self.entry("data/closed/link", .symlink, 0o777),
            Self.entry("data/link", .symlink, 0o777), Self.entry("home/notes.txt", .file, 0o644),
        ]
        var scope = ReaderScope(
            ReaderLimit(access: ReadAccess(uid: 1001, groups: [1001]), closedRoots: ["home"]), entries: entries, manifest: nil)
        let permitted = entries.filter { scope.permits($0) }.map(\.path)
        #expect(permitted == ["data", "data/open.txt", "data/link"])
    }

    @Test func spansKeepTheStructureAndThePermittedEntriesAndZeroTheRest() throws {
        let temp = TemporaryFolder()
        try Tree.write(temp.sub("src/a.txt"), Array(repeating: 1, count: 3000))
        try Tree.write(temp.sub("src/b.txt"), Array(repeating: 2, count: 3000))
        try Tree.write(temp.sub("src/c.txt"), Array(repeating: 3, count: 3000))
        try makeArchive([temp.sub("src")], at: temp.sub("x.zip"))
        let reader = try ArchiveReader(path: temp.sub("x.zip"))
        let b = try required(reader.entries.first { $0.path == "src/b.txt" })
        let spans = ReadableSpans(reader, permitting: [b])
        let real = Tree.read(temp.sub("x.zip"))
        var masked = real
        // In two reads that split inside b's span, as a reader in blocks would.
        let cut = Int(b.localHeaderOffset) + 7
        masked.withUnsafeMutableBytes { raw in
            spans.mask(UnsafeMutableRawBufferPointer(rebasing: raw[0..<cut]), at: 0)
            spans.mask(UnsafeMutableRawBufferPointer(rebasing: raw[cut...]), at: UInt64(cut))
        }
        let bEnd = reader.entries.map(\.localHeaderOffset).filter { $0 > b.localHeaderOffset }.min() ?? reader.directoryOffset
        for index in real.indices {
            let kept =
                index < 4 || UInt64(index) >= reader.directoryOffset || (UInt64(index) >= b.localHeaderOffset && UInt64(index) < bEnd)
            if kept {
                #expect(masked[index] == real[index], "byte \(index) should come through")
            } else if masked[index] != 0 {
                Issue.record("byte \(index) should read as zero")
                break
            }
        }
        // The masked archive still opens, and b extracts from it.
        let out = try ArchiveExtractor.extract(
            from: MemoryArchive(bytes: masked), to: temp.sub("out"), options: ExtractionOptions(includes: [try PathPattern("src/b.txt")]))
        #expect(out.problems.isEmpty, "\(out.problems)")
        #expect(Tree.read(temp.sub("out/src/b.txt")) == Array(repeating: 2, count: 3000))
    }

    @Test func topmostKeepsOnlyPathsWithNoAncestorAmongThem() {
        #expect(ArchiveExtractor.topmost(["a/b/c", "a/b", "a/bc", "d", "d/e"]) == ["a/b", "a/bc", "d"])
    }
}

/// An archive in memory.
final class MemoryArchive: ArchiveByteSource {
    let bytes: [UInt8]
    var name: String { "memory" }
    var size: UInt64 { UInt64(bytes.count) }
    init(bytes: [UInt8]) { self.bytes = bytes }
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(ArchiveError) -> Int {
        let start = Int(min(offset, size))
        let count = min(buffer.count, bytes.count - start)
        bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[start..<start + count])) }
        return count
    }
}

@Suite struct FailoverByteSourceTests {
    @Test func aCopyThatCannotBeOpenedIsSteppedOver() throws {
        let temp = TemporaryFolder()
        try Tree.write(temp.sub("src/a.txt"), Array("hello".utf8))
        try makeArchive([temp.sub("src")], at: temp.sub("b.zip"))
        let source = try FailoverByteSource(paths: [temp.sub("gone.zip"), temp.sub("b.zip")])
        #expect(source.size == UInt64(Tree.read(temp.sub("b.zip")).count))
        let result = try ArchiveExtractor.extract(from: source, to: temp.sub("out"))
        #expect(result.problems.isEmpty)
        #expect(Tree.read(temp.sub("out/src/a.txt")) == Array("hello".utf8))
    }

    @Test func noCopyIsAnErrorNamingTheFirst() throws {
        let temp = TemporaryFolder()
        #expect {
            try FailoverByteSource(paths: [temp.sub("one.zip"), temp.sub("two.zip")])
        } throws: { ($0 as! ArchiveError).code == .notFound && "\($0)".contains("one.zip") }
    }
}
