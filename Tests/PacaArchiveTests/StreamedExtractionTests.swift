import Foundation
import PacaCore
import PacaSystem
import PacaTestSupport
import Testing

@testable import PacaArchive

/// The streamed extraction (directory and manifest read side by side, files in batches) must
/// write exactly what the whole-archive extraction writes, for every kind of entry, with a
/// selection and with a reader limit, and must leave archives it cannot pair to the whole one.
@Suite struct StreamedExtractionTests {
    /// A tree with more files than one batch holds, a hard link, a symlink, an empty folder, a
    /// file of several pieces, and files and a folder another user could not read.
    static func makeTree(_ root: String) throws {
        for index in 0..<(StreamedExtraction.batchEntries + 900) {
            try Tree.write(root + "/many/d\(index / 500)/f\(index).txt", "file \(index)\n")
        }
        try Tree.write(root + "/a/x.txt", "x\n")
        try Tree.write(root + "/a/secret.txt", "secret\n", mode: 0o600)
        try Tree.write(root + "/a/deep/b/c.txt", "c\n")
        try Tree.write(root + "/big.bin", (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        try Tree.directory(root + "/closed", mode: 0o700)
        try Tree.write(root + "/closed/f.txt", "f\n")
        try Tree.directory(root + "/empty")
        try FileManager.default.linkItem(atPath: root + "/a/x.txt", toPath: root + "/a/x-link.txt")
        try Tree.symlink(root + "/a/sym", to: "x.txt")
    }

    @Test(arguments: ["all", "includes", "reader"])
    func theStreamedExtractionWritesWhatTheWholeOneWrites(_ variant: String) async throws {
        let problems = try await checkedOffPool { check in
            let temp = TemporaryFolder()
            try Self.makeTree(temp.sub("ws"))
            let archive = temp.sub("t.zip")
            try makeArchive([temp.sub("ws")], at: archive)
            var options = ExtractionOptions(overwrite: false, threads: 3)
            switch variant {
            case "includes": options.includes = [try PathPattern("ws/a"), try PathPattern("ws/many/d3")]
            case "reader": options.reader = ReaderLimit(access: ReadAccess(uid: 4242, groups: [4242]))
            default: break
            }
            let reader = try ArchiveReader(source: try FileByteSource(path: archive), readingDirectory: false)
            let manifestEntry = try required(StreamedExtraction.manifestEntry(of: reader))
            check(
                try StreamedExtraction(archive: reader, manifestEntry: manifestEntry, options: options).survey() != nil,
                "pacad's own archive pairs with its manifest")

            let streamed = try ArchiveExtractor.extract(archive, to: temp.sub("streamed"), options: options)
            let whole = try ArchiveExtractor.extractWhole(
                try ArchiveReader(path: archive), to: temp.sub("whole"), options: options, references: [:], started: 0, progress: nil)
            check(streamed.files == whole.files, "files \(streamed.files) against \(whole.files)")
            check(streamed.directories == whole.directories, "directories \(streamed.directories) against \(whole.directories)")
            check(streamed.symlinks == whole.symlinks, "symlinks \(streamed.symlinks) against \(whole.symlinks)")
            check(streamed.bytes == whole.bytes, "bytes \(streamed.bytes) against \(whole.bytes)")
            check(streamed.problems == whole.problems, "problems \(streamed.problems) against \(whole.problems)")
            check(streamed.leftOut == whole.leftOut, "left out \(streamed.leftOut) against \(whole.leftOut)")
            let written = try Tree.snapshot(temp.sub("streamed"))
            check(written == (try Tree.snapshot(temp.sub("whole"))), "the two trees differ")
            switch variant {
            case "all":
                check(streamed.files == StreamedExtraction.batchEntries + 900 + 6, "files \(streamed.files)")
                check(written["ws/a/sym"] == "link -> x.txt", "\(written["ws/a/sym"] ?? "no symlink")")
                var first = stat()
                var second = stat()
                stat(temp.sub("streamed/ws/a/x.txt"), &first)
                stat(temp.sub("streamed/ws/a/x-link.txt"), &second)
                check(first.st_ino == second.st_ino, "the hard link is one file again")
            case "includes":
                check(written.keys.allSatisfy { $0 == "ws" || $0.hasPrefix("ws/a") || $0.hasPrefix("ws/many") }, "\(written.keys.sorted())")
                check(written["ws/many/d3/f1500.txt"] != nil && written["ws/many/d4"] == nil, "only d3 of many")
            default:
                check(written["ws/a/secret.txt"] == nil && written["ws/closed/f.txt"] == nil, "unreadable files stay out")
                check(streamed.leftOut.contains("ws/closed") && streamed.leftOut.contains("ws/a/secret.txt"), "\(streamed.leftOut)")
                check(!streamed.leftOut.contains("ws/closed/f.txt"), "a folder stands for what is in it")
            }
        }
        #expect(problems.isEmpty, "\(problems)")
    }

    /// The daemon's side of a limited restore: the spans it serves, streamed, are the ones the
    /// whole computation gives, and a manifest that is not the catalog's is refused.
    @Test func streamedRestoreSpansAreTheWholeOnes() async throws {
        let problems = try await checkedOffPool { check in
            let temp = TemporaryFolder()
            try Self.makeTree(temp.sub("ws"))
            let archive = temp.sub("t.zip")
            try makeArchive([temp.sub("ws")], at: archive)
            let whole = try ArchiveReader(path: archive)
            let digest = try whole.manifestWithDigest().sha256
            for uid: UInt32 in [0, 4242] {
                let limit = ReaderLimit(access: ReadAccess(uid: uid, groups: [uid]), closedRoots: uid == 0 ? [] : ["nothing"])
                let streamed = try RestoreSpans.streamedSpans(
                    ownID: "b", own: try ArchiveReader(source: try FileByteSource(path: archive), readingDirectory: false),
                    references: [:], limit: limit, manifestSha256: digest)
                let expected = try RestoreSpans.compute(ownID: "b", own: whole, references: [:], limit: limit, manifestSha256: digest)
                check(streamed != nil, "pacad's archive is streamed")
                check(streamed == expected, "uid \(uid): the spans differ")
                check(expected["b"]?.ranges.count ?? 0 > (uid == 0 ? 0 : 2), "uid \(uid): \(expected["b"]?.ranges.count ?? 0) ranges")
            }
            do {
                _ = try RestoreSpans.compute(
                    ownID: "b", source: try FileByteSource(path: archive), references: [:],
                    limit: ReaderLimit(access: ReadAccess(uid: 4242, groups: [])), manifestSha256: String(repeating: "0", count: 64))
                check(false, "another manifest digest is refused")
            } catch {
                check((error as? ArchiveError)?.code == .checksumMismatch, "\(error)")
            }
        }
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test func anArchiveInAnotherOrderThanItsManifestIsExtractedWhole() throws {
        guard let zip = Tool.require("zip", package: "zip") else { return }
        let temp = TemporaryFolder()
        try Tree.write(temp.sub("z/a.txt"), "alpha\n")
        try Tree.write(temp.sub("z/b.txt"), "beta\n")
        // pacad's manifest for a.txt then b.txt, but the archive holds b.txt first.
        let made = temp.sub("made.zip")
        try makeArchive([temp.sub("z/a.txt"), temp.sub("z/b.txt")], at: made)
        let manifest = try ArchiveReader(path: made).manifestWithDigest()
        try FileManager.default.createDirectory(atPath: temp.sub("o/.paca"), withIntermediateDirectories: true)
        let manifestBytes = try ArchiveExtractor.extract(
            made, to: temp.sub("m"), options: ExtractionOptions(includes: [try PathPattern(Manifest.entryPath)]))
        #expect(manifestBytes.files == 1)
        try FileManager.default.copyItem(atPath: temp.sub("m/.paca/manifest.json"), toPath: temp.sub("o/.paca/manifest.json"))
        try FileManager.default.copyItem(atPath: temp.sub("z/a.txt"), toPath: temp.sub("o/a.txt"))
        try FileManager.default.copyItem(atPath: temp.sub("z/b.txt"), toPath: temp.sub("o/b.txt"))
        let other = temp.sub("other.zip")
        let zipped = try Tool.run(zip, ["-q", "-X", other, "b.txt", "a.txt", ".paca/manifest.json"], in: temp.sub("o"))
        #expect(zipped.status == 0, "\(zipped.stderr)")

        let reader = try ArchiveReader(source: try FileByteSource(path: other), readingDirectory: false)
        let manifestEntry = try #require(try StreamedExtraction.manifestEntry(of: reader))
        #expect(try StreamedExtraction(archive: reader, manifestEntry: manifestEntry, options: ExtractionOptions()).survey() == nil)
        let result = try ArchiveExtractor.extract(
            other, to: temp.sub("out"), options: ExtractionOptions(manifestSha256: manifest.sha256))
        #expect(result.files == 2 && result.problems.isEmpty, "\(result.problems)")
        #expect(Tree.read(temp.sub("out/b.txt")) == Array("beta\n".utf8))
    }
}
