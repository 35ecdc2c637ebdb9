import Foundation
import PacaTestSupport
import Testing

@testable import PacaArchive

@Suite struct CorruptionTests {
    /// An archive with two deflated files, one stored file and a directory.
    static func sample(in temp: TemporaryFolder) throws -> String {
        var rng = SeededRandom(seed: 5)
        try Tree.write(temp.sub("src/one.txt"), rng.text(300_000))
        try Tree.write(temp.sub("src/two.txt"), rng.text(300_000))
        try Tree.write(temp.sub("src/blob.bin"), rng.bytes(100_000))
        try makeArchive([temp.sub("src")], at: temp.sub("a.zip"))
        return temp.sub("a.zip")
    }

    static func patch(_ path: String, at offset: UInt64, xor mask: UInt8 = 0xFF) {
        let handle = FileHandle(forUpdatingAtPath: path)!
        try! handle.seek(toOffset: offset)
        let byte = try! handle.read(upToCount: 1)![0]
        try! handle.seek(toOffset: offset)
        try! handle.write(contentsOf: Data([byte ^ mask]))
        try! handle.close()
    }

    @Test func flippedDataBytesAreReportedForEveryBadEntry() throws {
        let temp = TemporaryFolder()
        let path = try Self.sample(in: temp)
        let archive = try ArchiveReader(path: path)
        for name in ["src/one.txt", "src/blob.bin"] {
            let entry = try #require(archive.entries.first { $0.path == name })
            Self.patch(path, at: try archive.dataOffset(of: entry) + entry.compressedSize / 2)
        }
        let result = try ArchiveVerifier.verify(path)
        #expect(!result.isValid)
        let bad = Set(result.problems.compactMap(\.entry))
        #expect(bad.isSuperset(of: ["src/one.txt", "src/blob.bin"]))
        #expect(!bad.contains("src/two.txt"))
        #expect(result.sidecar == "mismatch")
        #expect(result.problems.allSatisfy { $0.entry == nil || $0.offset != nil })
    }

    @Test func badEntryIsNotLeftUnderItsRealNameOnExtract() throws {
        let temp = TemporaryFolder()
        let path = try Self.sample(in: temp)
        let archive = try ArchiveReader(path: path)
        let entry = try #require(archive.entries.first { $0.path == "src/two.txt" })
        Self.patch(path, at: try archive.dataOffset(of: entry) + entry.compressedSize - 10)
        let result = try ArchiveExtractor.extract(path, to: temp.sub("out"))
        #expect(result.problems.map(\.entry) == ["src/two.txt"])
        #expect(!FileManager.default.fileExists(atPath: temp.sub("out/src/two.txt")))
        #expect(FileManager.default.fileExists(atPath: temp.sub("out/src/one.txt")))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: temp.sub("out/src")).filter { $0.hasPrefix(".paca-restore") }
        #expect(leftovers.isEmpty)
    }

    @Test func truncatedArchiveNamesTheProblemAndOffset() throws {
        let temp = TemporaryFolder()
        let path = try Self.sample(in: temp)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? UInt64)
        for cut in [size - 1, size - 30, size / 2, 100, 10] {
            #expect(truncate(path, off_t(cut)) == 0)
            do {
                _ = try ArchiveReader(path: path)
                Issue.record("a \(cut)-byte prefix opened")
            } catch {
                #expect(error.code == .truncated || error.code == .corrupt, "\(error)")
                #expect(error.offset != nil)
            }
        }
    }

    @Test func centralDirectoryDamageIsNamed() throws {
        let temp = TemporaryFolder()
        let path = try Self.sample(in: temp)
        let archive = try ArchiveReader(path: path)
        let second = archive.entries[1]
        // Find the second central header: search for its name after the last local data.
        let bytes = Tree.read(path)
        let name = Array(second.path.utf8)
        var index = bytes.count - 1
        while index > 0 {
            if bytes[index] == 0x50 && bytes[index + 1] == 0x4b && bytes[index + 2] == 1 && bytes[index + 3] == 2
                && Array(bytes[(index + 46)..<(index + 46 + name.count)]) == name
            {
                break
            }
            index -= 1
        }
        Self.patch(path, at: UInt64(index))
        #expect {
            try ArchiveReader(path: path)
        } throws: {
            let error = $0 as! ArchiveError
            return error.code == .corrupt && error.offset == Int64(index) && error.message.contains("entry 2")
        }
    }

    @Test(arguments: [[UInt8](), Array("just some text, not an archive at all".utf8), [UInt8](repeating: 0, count: 100_000)])
    func nonZipFilesAreRecognised(_ content: [UInt8]) throws {
        let temp = TemporaryFolder()
        try Tree.write(temp.sub("x.zip"), content)
        #expect {
            try ArchiveReader(path: temp.sub("x.zip"))
        } throws: { ($0 as! ArchiveError).code == .notAZip }
    }

    @Test func missingArchiveIsNotFound() {
        #expect {
            try ArchiveReader(path: "/nonexistent/a.zip")
        } throws: { ($0 as! ArchiveError).code == .notFound }
    }

    /// Flip bytes at many places: every outcome must be an error or a clean result, never a crash or hang.
    @Test func randomDamageNeverCrashesOrHangs() throws {
        let temp = TemporaryFolder()
        let path = try Self.sample(in: temp)
        let original = Tree.read(path)
        var rng = SeededRandom(seed: 99)
        for round in 0..<150 {
            var damaged = original
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let at = Int.random(in: 0..<damaged.count, using: &rng)
                damaged[at] = UInt8.random(in: 0...255, using: &rng)
            }
            let copy = temp.sub("d\(round).zip")
            try Tree.write(copy, damaged)
            if let result = try? ArchiveVerifier.verify(copy, threads: 2) {
                _ = result.problems
            }
            _ = try? ArchiveExtractor.extract(copy, to: temp.sub("x\(round)"))
            try? FileManager.default.removeItem(atPath: copy)
        }
    }
}

/// Found by the ZIP fuzzer (pacareliability): a name changed in the central directory took the
/// whole-archive path, which wrote the entry under the changed name although the manifest does
/// not list it.
@Suite struct ManifestAuthorityTests {
    @Test func anEntryRenamedInTheDirectoryIsRefusedNotRestored() throws {
        let temp = TemporaryFolder()
        let path = try CorruptionTests.sample(in: temp)
        let manifestSha256 = try #require(try ArchiveVerifier.verify(path).manifestSha256)
        // The central header's copy of the name: the last occurrence of "src/one.txt".
        var bytes = Tree.read(path)
        let name = Array("src/one.txt".utf8)
        let at = try #require((0...(bytes.count - name.count)).last { Array(bytes[$0..<($0 + name.count)]) == name })
        bytes[at + 6] = UInt8(ascii: "f")  // src/onf.txt
        try Tree.write(path, bytes)
        for pinned in [manifestSha256, nil] {
            let out = temp.sub("out-\(pinned == nil ? "plain" : "pinned")")
            let result = try ArchiveExtractor.extract(path, to: out, options: ExtractionOptions(manifestSha256: pinned))
            #expect(!FileManager.default.fileExists(atPath: out + "/src/onf.txt"))
            #expect(result.problems.contains { $0.entry == "src/onf.txt" && $0.message.contains("manifest does not list") })
            #expect(Tree.read(out + "/src/two.txt") == Tree.read(temp.sub("src/two.txt")))
        }
    }
}
