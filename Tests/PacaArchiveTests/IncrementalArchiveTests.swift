import Foundation
import PacaCore
import PacaSystem
import PacaTestSupport
import Testing

@testable import PacaArchive

/// Incremental archives at the archive layer: what a second backup stores, references and links,
/// and that it restores whole from its own archive plus the ones it references.
@Suite struct IncrementalArchiveTests {
    /// A workspace with every kind of thing a change can touch.
    static func workspace(_ temp: TemporaryFolder) throws {
        var rng = SeededRandom(seed: 11)
        try Tree.write(temp.sub("ws/configs/train.yaml"), "lr: 0.001\n", mode: 0o600, mtime: 1_700_000_000)
        try Tree.write(temp.sub("ws/data/train.jsonl"), rng.text(300_000), mtime: 1_700_000_000)
        try Tree.write(temp.sub("ws/data/valid.jsonl"), rng.text(50_000), mtime: 1_700_000_000)
        try Tree.write(temp.sub("ws/ckpt/model.pt"), rng.bytes(200_000), mtime: 1_700_000_000)
        try Tree.write(temp.sub("ws/notes.txt"), "keep me\n", mtime: 1_700_000_000)
        try Tree.write(temp.sub("ws/same-size.bin"), Array(repeating: 1, count: 4096), mtime: 1_700_000_000)
        try Tree.write(temp.sub("ws/old-name.txt"), "renamed later\n", mtime: 1_700_000_000)
        try Tree.write(temp.sub("ws/doomed.txt"), "deleted later\n", mtime: 1_700_000_000)
        try Tree.write(temp.sub("ws/cache/blob"), rng.bytes(30_000), mtime: 1_700_000_000)
        #expect(link(temp.sub("ws/cache/blob"), temp.sub("ws/data/blob-link")) == 0)
        try Tree.symlink(temp.sub("ws/latest"), to: "ckpt/model.pt")
    }

    static func backup(
        _ temp: TemporaryFolder, id: String, base: String?, rehash: Bool = false, retiring: Set<String> = [],
        carrySources: [String: any ArchiveByteSource] = [:], level: Int = 3
    ) throws -> CreationResult {
        let result = try ArchiveCreator.create(
            sources: [temp.sub("ws")], at: temp.sub("\(id).zip"), header: ManifestHeader(backupID: id, createdAt: 1_700_000_000),
            options: CreationOptions(level: level, threads: 2, pieceSize: 64 << 10),
            tracking: ChangeTracking(
                base: base.map { _ in temp.sub("index") }, detection: ChangeDetection(rehash: rehash, retiring: retiring),
                indexPath: temp.sub("index"), carrySources: carrySources))
        try ChangeIndex.commit(temp.sub("index"))
        return result
    }

    static func manifest(_ path: String) throws -> Manifest { try ArchiveReader(path: path).manifest() }

    static func line(_ manifest: Manifest, _ path: String) -> Manifest.Entry? { manifest.entries.first { $0.path == path } }

    /// Every kind of change, one second backup: changed content is stored, an unchanged file and a
    /// metadata-only change are referenced, a deleted file is gone, a same-size same-mtime
    /// replacement is caught, and the whole restores byte for byte with the first archive given.
    @Test func aSecondBackupStoresOnlyWhatChangedAndRestoresWhole() throws {
        let temp = TemporaryFolder()
        try Self.workspace(temp)
        let first = try Self.backup(temp, id: "b1", base: nil)
        #expect(first.filesReferenced == 0)
        #expect(first.links == 1)
        #expect(ChangeIndex.backupID(at: temp.sub("index")) == "b1")

        try Tree.write(temp.sub("ws/data/valid.jsonl"), "changed\n")
        chmod(temp.sub("ws/configs/train.yaml"), 0o640)  // metadata only
        Tree.setTime(temp.sub("ws/notes.txt"), 1_700_000_500)  // times only
        try FileManager.default.moveItem(atPath: temp.sub("ws/old-name.txt"), toPath: temp.sub("ws/new-name.txt"))
        try FileManager.default.removeItem(atPath: temp.sub("ws/doomed.txt"))
        try Tree.write(temp.sub("ws/new/fresh.txt"), "new folder\n")
        // Same size, same mtime, other bytes: only ctime and the inode tell.
        try Tree.write(temp.sub("ws/replacement"), Array(repeating: 2, count: 4096), mtime: 1_700_000_000)
        try FileManager.default.removeItem(atPath: temp.sub("ws/same-size.bin"))
        try FileManager.default.moveItem(atPath: temp.sub("ws/replacement"), toPath: temp.sub("ws/same-size.bin"))

        let second = try Self.backup(temp, id: "b2", base: "b1")
        let manifest = try Self.manifest(second.archive)
        #expect(manifest.version == 3)
        #expect(manifest.kind == "incremental")
        #expect(manifest.references == ["b1"])
        #expect(Self.line(manifest, "ws/data/train.jsonl")?.holder == "b1")
        #expect(Self.line(manifest, "ws/ckpt/model.pt")?.holder == "b1")
        #expect(Self.line(manifest, "ws/configs/train.yaml")?.holder == "b1", "a chmod copies no bytes")
        #expect(Self.line(manifest, "ws/configs/train.yaml")?.mode == "0640")
        #expect(Self.line(manifest, "ws/notes.txt")?.holder == "b1", "a touch copies no bytes")
        #expect(Self.line(manifest, "ws/data/valid.jsonl")?.holder == nil)
        #expect(Self.line(manifest, "ws/same-size.bin")?.holder == nil, "a same-size, same-mtime replacement is stored")
        #expect(Self.line(manifest, "ws/new-name.txt")?.holder == nil)
        #expect(Self.line(manifest, "ws/new/fresh.txt")?.holder == nil)
        #expect(Self.line(manifest, "ws/doomed.txt") == nil)
        #expect(Self.line(manifest, "ws/data/blob-link")?.link == "ws/cache/blob")
        let held = Set(try ArchiveReader(path: second.archive).entries.filter { $0.kind == .file }.map(\.path))
        #expect(held == ["ws/data/valid.jsonl", "ws/same-size.bin", "ws/new-name.txt", "ws/new/fresh.txt", Manifest.entryPath])
        #expect(second.bytesIn < 5_000)
        #expect(second.rehashed == 2, "the chmod and the touch were read to compare, not stored")

        let restored = try ArchiveExtractor.extract(
            second.archive, to: temp.sub("restored"), options: ExtractionOptions(restoresOwnership: false),
            references: ["b1": try FileByteSource(path: first.archive)])
        #expect(restored.problems.isEmpty, "\(restored.problems)")
        #expect(restored.missingBackups.isEmpty)
        #expect(try Tree.snapshot(temp.sub("restored/ws")) == (try Tree.snapshot(temp.sub("ws"))))
        var a = stat()
        var b = stat()
        lstat(temp.sub("restored/ws/cache/blob"), &a)
        lstat(temp.sub("restored/ws/data/blob-link"), &b)
        #expect(a.st_ino == b.st_ino && a.st_nlink == 2, "hard links come back as hard links")
        var original = stat()
        lstat(temp.sub("ws/notes.txt"), &original)
        var copy = stat()
        lstat(temp.sub("restored/ws/notes.txt"), &copy)
        #expect(copy.st_mtim.tv_nsec == original.st_mtim.tv_nsec && copy.st_mtim.tv_sec == original.st_mtim.tv_sec)
    }

    /// Without the archives it references, an extract restores what the archive holds and names
    /// the backups it needs; the referenced files are problems, not silently missing.
    @Test func anExtractWithoutTheReferencedArchivesNamesThem() throws {
        let temp = TemporaryFolder()
        try Self.workspace(temp)
        _ = try Self.backup(temp, id: "b1", base: nil)
        try Tree.write(temp.sub("ws/data/valid.jsonl"), "changed\n")
        let second = try Self.backup(temp, id: "b2", base: "b1")
        let result = try ArchiveExtractor.extract(
            second.archive, to: temp.sub("out"), options: ExtractionOptions(restoresOwnership: false))
        #expect(result.missingBackups == ["b1"])
        #expect(Tree.read(temp.sub("out/ws/data/valid.jsonl")) == Array("changed\n".utf8))
        #expect(!FileManager.default.fileExists(atPath: temp.sub("out/ws/data/train.jsonl")))
        #expect(result.problems.contains { $0.entry == "ws/data/train.jsonl" && $0.message.contains("b1") })
    }

    /// A referenced archive whose entry no longer has the recorded bytes is caught by SHA-256 and
    /// the file is not written.
    @Test func aReferencedEntryWithOtherBytesIsRefused() throws {
        let temp = TemporaryFolder()
        try Tree.write(temp.sub("ws/a.txt"), "original contents\n", mtime: 1_700_000_000)
        try Tree.write(temp.sub("ws/b.txt"), "other\n", mtime: 1_700_000_000)
        _ = try Self.backup(temp, id: "b1", base: nil)
        try Tree.write(temp.sub("ws/b.txt"), "other, changed\n")
        let second = try Self.backup(temp, id: "b2", base: "b1")
        // A "b1" that holds different bytes (CRC-consistent) under the same name.
        try Tree.write(temp.sub("forged/ws/a.txt"), "forged contents!!\n", mtime: 1_700_000_000)
        try makeArchive([temp.sub("forged/ws")], at: temp.sub("forged.zip"))
        let result = try ArchiveExtractor.extract(
            second.archive, to: temp.sub("out"), options: ExtractionOptions(restoresOwnership: false),
            references: ["b1": try FileByteSource(path: temp.sub("forged.zip"))])
        #expect(result.problems.contains { $0.entry == "ws/a.txt" && $0.code == .checksumMismatch })
        #expect(!FileManager.default.fileExists(atPath: temp.sub("out/ws/a.txt")))
    }

    /// `--rehash` reads every same-size file, and a file rewritten with its old times put back
    /// (mtime restored, same size) is still caught: ctime moved.
    @Test func rehashAndRestoredMtimesAreCaught() throws {
        let temp = TemporaryFolder()
        try Tree.write(temp.sub("ws/a.bin"), Array(repeating: 7, count: 10_000), mtime: 1_700_000_000)
        try Tree.write(temp.sub("ws/b.bin"), Array(repeating: 8, count: 10_000), mtime: 1_700_000_000)
        _ = try Self.backup(temp, id: "b1", base: nil)
        try Tree.write(temp.sub("ws/a.bin"), Array(repeating: 9, count: 10_000), mtime: 1_700_000_000)
        let second = try Self.backup(temp, id: "b2", base: "b1")
        let manifest = try Self.manifest(second.archive)
        #expect(Self.line(manifest, "ws/a.bin")?.holder == nil)
        #expect(Self.line(manifest, "ws/b.bin")?.holder == "b1")
        #expect(second.rehashed == 0)
        let third = try Self.backup(temp, id: "b3", base: "b2", rehash: true)
        #expect(third.rehashed == 2)
        #expect(third.filesReferenced == 2)
        #expect(try Self.manifest(third.archive).references == ["b1", "b2"])
        // The clock set back: new bytes, same size, an mtime older than the recorded one.
        try Tree.write(temp.sub("ws/b.bin"), Array(repeating: 5, count: 10_000), mtime: 1_600_000_000)
        let fourth = try Self.backup(temp, id: "b4", base: "b3")
        #expect(Self.line(try Self.manifest(fourth.archive), "ws/b.bin")?.holder == nil)
        #expect(Self.line(try Self.manifest(fourth.archive), "ws/a.bin")?.holder == "b2")
    }

    /// A backup told to retire an archive stores that archive's files again instead of
    /// referencing them (the fan-in bound and min_live), so the old archive can go.
    @Test func retiringAnArchiveStoresItsFilesAgain() throws {
        let temp = TemporaryFolder()
        try Self.workspace(temp)
        _ = try Self.backup(temp, id: "b1", base: nil)
        try Tree.write(temp.sub("ws/notes.txt"), "changed\n")
        _ = try Self.backup(temp, id: "b2", base: "b1")
        let third = try Self.backup(temp, id: "b3", base: "b2", retiring: ["b1"])
        let manifest = try Self.manifest(third.archive)
        #expect(manifest.references == ["b2"])
        #expect(!manifest.entries.contains { $0.holder == "b1" })
        #expect(third.carried == 0, "without b1's archive its files are read from the source")
        let restored = try ArchiveExtractor.extract(
            third.archive, to: temp.sub("out"), options: ExtractionOptions(restoresOwnership: false),
            references: ["b2": try FileByteSource(path: temp.sub("b2.zip"))])
        #expect(restored.problems.isEmpty, "\(restored.problems)")
        #expect(try Tree.snapshot(temp.sub("out/ws")) == (try Tree.snapshot(temp.sub("ws"))))
    }

    /// Given the retiring archive, its unchanged files' compressed bytes are copied as they are
    /// (b3 is written at level 0, so anything recompressed would be stored, not deflated), with
    /// this backup's metadata, and the new archive is still one stock tools test clean.
    @Test func carryForwardCopiesCompressedBytes() throws {
        let temp = TemporaryFolder()
        try Self.workspace(temp)
        let first = try Self.backup(temp, id: "b1", base: nil)
        try Tree.write(temp.sub("ws/notes.txt"), "changed\n")
        _ = try Self.backup(temp, id: "b2", base: "b1")
        chmod(temp.sub("ws/data/train.jsonl"), 0o640)  // metadata only: carried with the new mode
        let third = try Self.backup(
            temp, id: "b3", base: "b2", retiring: ["b1"], carrySources: ["b1": try FileByteSource(path: first.archive)], level: 0)
        #expect(third.errors.isEmpty, "\(third.errors)")
        #expect(third.carried == 8, "every file b1 held and b3 still has")
        let manifest = try Self.manifest(third.archive)
        #expect(manifest.references == ["b2"])
        #expect(Self.line(manifest, "ws/data/train.jsonl")?.mode == "0640")
        let old = try ArchiveReader(path: first.archive).entries.first { $0.path == "ws/data/train.jsonl" }
        let new = try ArchiveReader(path: third.archive).entries.first { $0.path == "ws/data/train.jsonl" }
        #expect(new?.method == .deflated && old?.compressedSize == new?.compressedSize && old?.crc32 == new?.crc32)
        #expect(new?.mode == 0o640)
        let restored = try ArchiveExtractor.extract(
            third.archive, to: temp.sub("out"), options: ExtractionOptions(restoresOwnership: false),
            references: ["b2": try FileByteSource(path: temp.sub("b2.zip"))])
        #expect(restored.problems.isEmpty, "\(restored.problems)")
        #expect(try Tree.snapshot(temp.sub("out/ws")) == (try Tree.snapshot(temp.sub("ws"))))
        #expect(try ArchiveVerifier.verify(third.archive).isValid)
        guard let unzip = Tool.require("unzip", package: "unzip") else { return }
        let tested = try Tool.run(unzip, ["-t", third.archive])
        #expect(tested.status == 0 && tested.stdout.contains("No errors detected"), "\(tested.stdout)")
    }

    /// The change index made from a manifest equals the one the backup wrote (so a lost index
    /// costs nothing but time), and a version 1 manifest still makes one.
    @Test func theIndexCanBeRebuiltFromTheManifest() throws {
        let temp = TemporaryFolder()
        try Self.workspace(temp)
        let first = try Self.backup(temp, id: "b1", base: nil)
        try ChangeIndex.write(from: try Self.manifest(first.archive), to: temp.sub("rebuilt"))
        func records(_ path: String) throws -> [IndexedFile] {
            let reader = try ChangeIndexReader(path: path)
            var all: [IndexedFile] = []
            while let next = try reader.next() { all.append(next) }
            return all
        }
        let written = try records(temp.sub("index"))
        #expect(written.count == 9)
        #expect(try records(temp.sub("rebuilt")) == written)
        // A second backup from the rebuilt index references everything.
        try FileManager.default.removeItem(atPath: temp.sub("index"))
        try FileManager.default.moveItem(atPath: temp.sub("rebuilt"), toPath: temp.sub("index"))
        let second = try Self.backup(temp, id: "b2", base: "b1")
        #expect(second.filesReferenced == 9)
        #expect(second.bytesIn == 0)
    }

    /// A backup written by pacad 0.6 (manifest version 1: no ctime, inode or `in`) serves as a
    /// base: its index is made from the manifest, the next backup reads each same-size file once
    /// to compare digests, and stores nothing that did not change.
    @Test func aVersion1BackupIsTheBaseOfAVersion2One() throws {
        let temp = TemporaryFolder()
        try Self.workspace(temp)
        let first = try Self.backup(temp, id: "b1", base: nil)
        var old = try Self.manifest(first.archive)
        old.version = 1
        old.kind = nil
        old.references = nil
        for index in old.entries.indices {
            old.entries[index].mtimeNanoseconds = nil
            old.entries[index].ctimeNanoseconds = nil
            old.entries[index].device = nil
            old.entries[index].inode = nil
            old.entries[index].uid = nil
            old.entries[index].gid = nil
            old.entries[index].link = nil
        }
        // A version 1 manifest decodes, and its index says "read to compare".
        let text = try JSONEncoder().encode(old)
        let decoded = try Manifest.decode(Array(text))
        #expect(decoded.version == 1 && decoded.referencedBackups.isEmpty)
        try FileManager.default.removeItem(atPath: temp.sub("index"))
        try ChangeIndex.write(from: decoded, to: temp.sub("index"))
        let second = try Self.backup(temp, id: "b2", base: "b1")
        #expect(second.bytesIn == 0, "nothing changed, nothing stored")
        #expect(second.rehashed == second.filesReferenced && second.filesReferenced > 0)
        #expect(try Self.manifest(second.archive).references == ["b1"])
    }

    /// A truncated index is an error when read, never a silent partial comparison.
    @Test func aDamagedIndexIsRefused() throws {
        let temp = TemporaryFolder()
        try Self.workspace(temp)
        _ = try Self.backup(temp, id: "b1", base: nil)
        let bytes = Tree.read(temp.sub("index"))
        try Tree.write(temp.sub("cut"), Array(bytes.dropLast(20)))
        let reader = try ChangeIndexReader(path: temp.sub("cut"))
        #expect(throws: ArchiveError.self) {
            while try reader.next() != nil {}
        }
    }

    @Test func walkOrderIsTheWalkersOrder() {
        let order = WalkOrder(roots: ["zeta", "alpha"])
        #expect(order.compare("zeta/x", "alpha") == .before)
        #expect(order.compare("alpha/a/b", "alpha/a-c") == .before, "a folder's contents come before its next sibling")
        #expect(order.compare("alpha/a", "alpha/a/b") == .before)
        #expect(order.compare("alpha/b", "alpha/a/z") == .after)
        #expect(order.compare("alpha/a", "alpha/a") == .same)
    }

    /// Incremental archives stay plain ZIP: unzip, 7z and Python's zipfile test them clean, and
    /// every file they hold matches the manifest's digest.
    @Test func incrementalArchivesPassStockTools() throws {
        let temp = TemporaryFolder()
        try Self.workspace(temp)
        _ = try Self.backup(temp, id: "b1", base: nil)
        try Tree.write(temp.sub("ws/data/valid.jsonl"), "changed\n")
        let second = try Self.backup(temp, id: "b2", base: "b1")
        guard let unzip = Tool.require("unzip", package: "unzip"), let sevenZip = Tool.require("7z", package: "p7zip-full"),
            let python = Tool.require("python3", package: "python3")
        else { return }
        let tested = try Tool.run(unzip, ["-t", second.archive])
        #expect(tested.status == 0 && tested.stdout.contains("No errors detected"), "\(tested.stdout)\(tested.stderr)")
        let seven = try Tool.run(sevenZip, ["t", second.archive])
        #expect(seven.status == 0 && seven.stdout.contains("Everything is Ok"), "\(seven.stdout)")
        let script = """
            import sys, zipfile, json, hashlib
            z = zipfile.ZipFile(sys.argv[1])
            assert z.testzip() is None
            m = json.loads(z.read(".paca/manifest.json"))
            held = 0
            for e in m["entries"]:
                if e["type"] == "file" and "in" not in e and "link" not in e:
                    assert hashlib.sha256(z.read(e["path"])).hexdigest() == e["sha256"], e["path"]
                    held += 1
            print("ok", held, m["kind"], m["references"])
            """
        let result = try Tool.run(python, ["-c", script, second.archive])
        #expect(result.stdout.hasPrefix("ok 1 incremental ['b1']"), "\(result.stdout)\(result.stderr)")
    }
}
