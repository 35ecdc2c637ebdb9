import Foundation
import PacaCore
import PacaTestSupport
import Testing

@testable import PacaArchive

@Suite struct RoundTripTests {
    /// A random tree with every kind of entry: nested dirs with odd modes, empty dirs and files,
    /// compressible and incompressible files around the piece size, symlinks, Korean names.
    static func randomTree(at root: String, seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        let names = ["data", "체크포인트", "logs", "a b", "x.y", "데이터셋", "z"]
        try Tree.directory(root)
        var dirs = [root]
        for i in 0..<12 {
            let parent = dirs.randomElement(using: &rng)!
            let dir = "\(parent)/\(names.randomElement(using: &rng)!)-\(i)"
            try Tree.directory(dir, mode: [0o755, 0o700, 0o750].randomElement(using: &rng)!)
            dirs.append(dir)
        }
        let sizes = [0, 1, 100, 4096, 65_535, 65_536, 65_537, 200_000, 300_001]
        for i in 0..<40 {
            let dir = dirs.randomElement(using: &rng)!
            let size = sizes.randomElement(using: &rng)!
            let bytes = Bool.random(using: &rng) ? rng.text(size) : rng.bytes(size)
            let mode = [0o644, 0o600, 0o755, 0o444, 0o4755].randomElement(using: &rng)!
            let mtime = Int64.random(in: 946_684_800...1_900_000_000, using: &rng)
            try Tree.write("\(dir)/f\(i)-\(["파일", "file", "é"].randomElement(using: &rng)!).bin", bytes, mode: mode, mtime: mtime)
        }
        for i in 0..<5 {
            let dir = dirs.randomElement(using: &rng)!
            try Tree.symlink("\(dir)/link\(i)", to: ["../x", "f1.bin", "/etc/hostname", "없음"].randomElement(using: &rng)!)
        }
        for dir in dirs.reversed() { Tree.setTime(dir, Int64.random(in: 946_684_800...1_900_000_000, using: &rng)) }
    }

    @Test(arguments: [(UInt64(1), 0), (UInt64(2), 1), (UInt64(3), 3), (UInt64(4), 9)])
    func randomTreeComesBackExactly(seed: UInt64, level: Int) throws {
        let temp = TemporaryFolder()
        let source = temp.sub("src")
        try Self.randomTree(at: source, seed: seed)
        let before = try Tree.snapshot(source)
        let result = try makeArchive([source], at: temp.sub("out.zip"), level: level)
        #expect(result.errors.isEmpty)
        #expect(result.warnings.isEmpty)

        let verification = try ArchiveVerifier.verify(temp.sub("out.zip"))
        #expect(verification.problems == [])
        #expect(verification.sidecar == "ok")
        #expect(verification.hasManifest)

        let extraction = try ArchiveExtractor.extract(temp.sub("out.zip"), to: temp.sub("restored"))
        #expect(extraction.problems == [])
        #expect(extraction.files == result.files)
        #expect(try Tree.snapshot(temp.sub("restored/src")) == before)
    }

    @Test(arguments: [0, 1, 65_535, 65_536, 65_537, 131_072, 131_073, 1_000_000])
    func fileSizesAroundPieceBoundariesRoundTrip(size: Int) throws {
        let temp = TemporaryFolder()
        var rng = SeededRandom(seed: UInt64(size))
        try Tree.write(temp.sub("src/text"), rng.text(size))
        try Tree.write(temp.sub("src/random"), rng.bytes(size))
        try makeArchive([temp.sub("src")], at: temp.sub("out.zip"))
        let archive = try ArchiveReader(path: temp.sub("out.zip"))
        let text = try #require(archive.entries.first { $0.path == "src/text" })
        #expect(text.size == UInt64(size))
        if size > 1000 { #expect(text.method == .deflated) }
        #expect(try ArchiveVerifier.verify(temp.sub("out.zip")).problems == [])
        _ = try ArchiveExtractor.extract(temp.sub("out.zip"), to: temp.sub("back"))
        #expect(Tree.read(temp.sub("back/src/text")) == Tree.read(temp.sub("src/text")))
        #expect(Tree.read(temp.sub("back/src/random")) == Tree.read(temp.sub("src/random")))
    }

    @Test func incompressibleDataIsStoredNotDeflated() throws {
        let temp = TemporaryFolder()
        var rng = SeededRandom(seed: 7)
        try Tree.write(temp.sub("src/checkpoint.pt"), rng.bytes(500_000))
        try Tree.write(temp.sub("src/small-random.bin"), rng.bytes(50_000))
        try Tree.write(temp.sub("src/log.txt"), rng.text(500_000))
        try makeArchive([temp.sub("src")], at: temp.sub("out.zip"))
        let entries = try ArchiveReader(path: temp.sub("out.zip")).entries
        #expect(entries.first { $0.path == "src/checkpoint.pt" }?.method == .stored)
        #expect(entries.first { $0.path == "src/small-random.bin" }?.method == .stored)
        let log = try #require(entries.first { $0.path == "src/log.txt" })
        #expect(log.method == .deflated)
        #expect(log.compressedSize < log.size / 2)
    }

    @Test func oneBigFileSplitInPiecesMatchesASingleStreamInSize() throws {
        let temp = TemporaryFolder()
        var rng = SeededRandom(seed: 11)
        try Tree.write(temp.sub("src/data.jsonl"), rng.text(2_000_000))
        try makeArchive([temp.sub("src")], at: temp.sub("pieces.zip"), pieceSize: 64 << 10)
        try makeArchive([temp.sub("src")], at: temp.sub("whole.zip"), pieceSize: 4 << 20)
        let pieces = try #require(try ArchiveReader(path: temp.sub("pieces.zip")).entries.first { $0.path == "src/data.jsonl" })
        let whole = try #require(try ArchiveReader(path: temp.sub("whole.zip")).entries.first { $0.path == "src/data.jsonl" })
        #expect(pieces.crc32 == whole.crc32)
        // Priming each piece with the previous 32 KiB keeps the cost of splitting small.
        #expect(Double(pieces.compressedSize) < Double(whole.compressedSize) * 1.02)
    }

    @Test func excludedPathsAreLeftOutAndNotDescended() throws {
        let temp = TemporaryFolder()
        try Tree.write(temp.sub("ws/keep.py"), "x")
        try Tree.write(temp.sub("ws/skip.tmp"), "x")
        try Tree.write(temp.sub("ws/src/__pycache__/m.pyc"), "x")
        try Tree.write(temp.sub("ws/data/raw/a.bin"), "x")
        try Tree.write(temp.sub("ws/data/clean/a.bin"), "x")
        try makeArchive([temp.sub("ws")], at: temp.sub("out.zip"), excludes: ["*.tmp", "__pycache__/", "data/raw"])
        let paths = Set(try ArchiveReader(path: temp.sub("out.zip")).entries.map(\.path))
        #expect(paths == ["ws", "ws/keep.py", "ws/src", "ws/data", "ws/data/clean", "ws/data/clean/a.bin", ".paca/manifest.json"])
    }

    @Test func severalRootsAreStoredUnderTheirNamesAndClashingNamesAreRefused() throws {
        let temp = TemporaryFolder()
        try Tree.write(temp.sub("a/learning/x"), "1")
        try Tree.write(temp.sub("b/cognitive/y"), "2")
        try Tree.write(temp.sub("c/learning/z"), "3")
        try makeArchive([temp.sub("a/learning"), temp.sub("b/cognitive")], at: temp.sub("ok.zip"))
        let paths = Set(try ArchiveReader(path: temp.sub("ok.zip")).entries.map(\.path))
        #expect(paths.isSuperset(of: ["learning/x", "cognitive/y"]))
        #expect {
            try makeArchive([temp.sub("a/learning"), temp.sub("c/learning")], at: temp.sub("clash.zip"))
        } throws: { ($0 as? ArchiveError)?.code == .invalidArgument }
        #expect(!FileManager.default.fileExists(atPath: temp.sub("clash.zip")))
    }

    /// A FIFO is recorded, not read (nobody writes to it: reading would block for good), and
    /// not counted among files (SpecialFileTests makes them again).
    @Test func aFIFOIsRecordedNotRead() throws {
        let temp = TemporaryFolder()
        try Tree.write(temp.sub("src/file"), "data")
        #expect(mkfifo(temp.sub("src/fifo"), 0o644) == 0)
        let result = try makeArchive([temp.sub("src")], at: temp.sub("out.zip"))
        #expect(result.errors.isEmpty && result.warnings.isEmpty)
        #expect(result.files == 1 && result.specials == 1)
        #expect(try ArchiveReader(path: temp.sub("out.zip")).entries.first { $0.path == "src/fifo" }?.kind == .fifo)
    }

    @Test func manifestListsEveryEntryWithItsChecksum() throws {
        let temp = TemporaryFolder()
        let odd = "quote\"back\\slash\nnewline\t탭.txt"
        try Tree.write(temp.sub("src/\(odd)"), "hello", mode: 0o640, mtime: 1_600_000_000)
        try Tree.symlink(temp.sub("src/link"), to: odd)
        try makeArchive([temp.sub("src")], at: temp.sub("out.zip"))
        let archive = try ArchiveReader(path: temp.sub("out.zip"))
        let manifestEntry = try #require(archive.entries.last)
        #expect(manifestEntry.path == ".paca/manifest.json")
        let manifest = try Manifest.decode(ArchiveContents.read(manifestEntry, from: archive, limit: 1 << 20))
        #expect(manifest.backupID == "test")
        #expect(manifest.setName == "unit")
        #expect(manifest.createdAt == "2026-11-27T02:00:00Z")
        #expect(manifest.entryCount == 3)
        let file = try #require(manifest.entries.first { $0.path == "src/\(odd)" })
        #expect(file.sha256 == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
        #expect(file.mode == "0640")
        #expect(file.mtime == 1_600_000_000)
        #expect(manifest.entries.first { $0.path == "src/link" }?.target == odd)
    }

    @Test func sidecarVerifiesWithStockSha256sum() throws {
        let temp = TemporaryFolder()
        try Tree.write(temp.sub("src/a"), "a")
        try makeArchive([temp.sub("src")], at: temp.sub("backup.zip"))
        let sidecar = String(decoding: Tree.read(temp.sub("backup.zip.sha256")), as: UTF8.self)
        #expect(sidecar.hasSuffix("  backup.zip\n"))
        let check = try Tool.run("/bin/sh", ["-c", "cd '\(temp.path)' && sha256sum -c backup.zip.sha256"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
    }

    @Test func existingArchiveIsNotReplacedAndLeftoverPartialIsRemoved() throws {
        let temp = TemporaryFolder()
        try Tree.write(temp.sub("src/a"), "a")
        try Tree.write(temp.sub("out.zip.partial"), "left over by a crash")
        try makeArchive([temp.sub("src")], at: temp.sub("out.zip"))
        #expect(!FileManager.default.fileExists(atPath: temp.sub("out.zip.partial")))
        #expect {
            try makeArchive([temp.sub("src")], at: temp.sub("out.zip"))
        } throws: { ($0 as? ArchiveError)?.code == .alreadyExists }
        #expect(try ArchiveVerifier.verify(temp.sub("out.zip")).isValid)
    }

    @Test func archiveInsideItsOwnSourceDoesNotIncludeItself() throws {
        let temp = TemporaryFolder()
        try Tree.write(temp.sub("src/a"), "a")
        try makeArchive([temp.sub("src")], at: temp.sub("src/self.zip"))
        let paths = try ArchiveReader(path: temp.sub("src/self.zip")).entries.map(\.path)
        #expect(!paths.contains { $0.hasSuffix(".partial") || $0.hasSuffix("self.zip") })
    }
}
