import Foundation
import PacaCore
import PacaSystem
import PacaTestSupport
import Testing

@testable import PacaArchive

/// Files of several parts changed in place or appended to: only the parts that differ are
/// stored, the rest are taken from where earlier archives keep them, and every backup still
/// restores byte for byte.
@Suite struct PartialChangeTests {
    static let mib = Int(PartLayout.size)
    static let mtime: Int64 = 1_700_000_000

    /// A workspace with a 6.5 MiB incompressible checkpoint, a 3.2 MiB text log and a small config.
    static func workspace(_ temp: TemporaryFolder) throws {
        var rng = SeededRandom(seed: 23)
        try Tree.write(temp.sub("ws/ckpt/model.pt"), rng.bytes(6 * mib + mib / 2), mtime: mtime)
        try Tree.write(temp.sub("ws/logs/train.log"), rng.text(3 * mib + 200_000), mtime: mtime)
        try Tree.write(temp.sub("ws/config.yaml"), "lr: 0.1\n", mtime: mtime)
    }

    static func backup(_ temp: TemporaryFolder, id: String, base: Bool, retiring: Set<String> = [], level: Int = 2) throws
        -> CreationResult
    {
        try IncrementalArchiveTests.backup(temp, id: id, base: base ? "yes" : nil, retiring: retiring, level: level)
    }

    /// Overwrites `count` bytes of `path` at `offset` with fresh noise.
    static func patch(_ path: String, at offset: Int, count: Int, seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        try handle.seek(toOffset: UInt64(offset))
        try handle.write(contentsOf: Data(rng.bytes(count)))
        try handle.close()
    }

    static func append(_ path: String, _ text: String) throws {
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
        try handle.close()
    }

    static func restore(_ temp: TemporaryFolder, _ archive: String, into name: String, references: [String]) throws -> ExtractionResult {
        var sources: [String: any ArchiveByteSource] = [:]
        for id in references { sources[id] = try FileByteSource(path: temp.sub("\(id).zip")) }
        return try ArchiveExtractor.extract(
            archive, to: temp.sub(name), options: ExtractionOptions(restoresOwnership: false), references: sources)
    }

    /// Restores `archive` with the archives of `references` and expects the workspace as it is now.
    static func expectRestoresWhole(_ temp: TemporaryFolder, _ archive: String, into name: String, references: [String]) throws {
        let restored = try restore(temp, archive, into: name, references: references)
        #expect(restored.problems.isEmpty, "\(restored.problems)")
        #expect(try Tree.snapshot(temp.sub("\(name)/ws")) == (try Tree.snapshot(temp.sub("ws"))))
    }

    @Test func aPatchedCheckpointAndAnAppendedLogStoreOnlyTheirChangedParts() throws {
        let temp = TemporaryFolder()
        try Self.workspace(temp)
        let first = try Self.backup(temp, id: "b1", base: false)
        let full = try IncrementalArchiveTests.manifest(first.archive)
        #expect(IncrementalArchiveTests.line(full, "ws/ckpt/model.pt")?.parts?.count == 7)
        #expect(IncrementalArchiveTests.line(full, "ws/ckpt/model.pt")?.segments == nil, "a full archive holds every file whole")
        #expect(IncrementalArchiveTests.line(full, "ws/config.yaml")?.parts == nil, "a file of one part lists no parts")

        try Self.patch(temp.sub("ws/ckpt/model.pt"), at: 2 * Self.mib + 4096, count: 100_000, seed: 1)
        try Self.append(temp.sub("ws/logs/train.log"), String(repeating: "step 100 loss 0.25\n", count: 20_000))
        let second = try Self.backup(temp, id: "b2", base: true)
        let manifest = try IncrementalArchiveTests.manifest(second.archive)
        #expect(manifest.references == ["b1"])
        let model = try #require(IncrementalArchiveTests.line(manifest, "ws/ckpt/model.pt"))
        #expect(
            model.segments == [
                Manifest.Segment(holder: "b1", entry: "ws/ckpt/model.pt", offset: 0, size: UInt64(2 * Self.mib)),
                Manifest.Segment(holder: nil, entry: ".paca/parts/ws/ckpt/model.pt@2097152", offset: 0, size: UInt64(Self.mib)),
                Manifest.Segment(
                    holder: "b1", entry: "ws/ckpt/model.pt", offset: UInt64(3 * Self.mib), size: UInt64(3 * Self.mib + Self.mib / 2)),
            ])
        let log = try #require(IncrementalArchiveTests.line(manifest, "ws/logs/train.log"))
        #expect(log.segments?.first == Manifest.Segment(holder: "b1", entry: "ws/logs/train.log", offset: 0, size: UInt64(3 * Self.mib)))
        #expect(log.segments?.count == 2)
        #expect(second.bytesIn < UInt64(2 * Self.mib), "one changed part of each file, not 10 MiB: \(second.bytesIn)")
        let sizes = try ["ckpt/model.pt", "logs/train.log", "config.yaml"].map {
            try FileManager.default.attributesOfItem(atPath: temp.sub("ws/" + $0))[.size] as? Int ?? 0
        }
        #expect(second.bytesTotal == UInt64(sizes.reduce(0, +)))
        let held = try ArchiveReader(path: second.archive).entries.map(\.path)
        #expect(!held.contains("ws/ckpt/model.pt") && held.contains(".paca/parts/ws/ckpt/model.pt@2097152"))

        try Self.expectRestoresWhole(temp, second.archive, into: "r2", references: ["b1"])
        #expect(!FileManager.default.fileExists(atPath: temp.sub("r2/.paca")), "part entries are not restored as files")
        let deep = ArchiveVerifier.verifyReferencedFiles(
            manifest, own: try FileByteSource(path: second.archive), references: ["b1": try FileByteSource(path: first.archive)])
        #expect(deep.isEmpty, "\(deep)")
        #expect(try ArchiveVerifier.verify(second.archive).isValid)
    }

    /// A third backup patches another part: the checkpoint then comes from three archives, an
    /// unchanged segmented file keeps its segments, and each backup of the chain restores whole.
    @Test func aChainOfPartialChangesRestoresEveryBackup() throws {
        let temp = TemporaryFolder()
        try Self.workspace(temp)
        _ = try Self.backup(temp, id: "b1", base: false)
        try Self.patch(temp.sub("ws/ckpt/model.pt"), at: 10, count: 5000, seed: 2)
        try Self.append(temp.sub("ws/logs/train.log"), "one more line\n")
        _ = try Self.backup(temp, id: "b2", base: true)
        let afterSecond = try Tree.snapshot(temp.sub("ws"))
        try Self.patch(temp.sub("ws/ckpt/model.pt"), at: 5 * Self.mib, count: 5000, seed: 3)
        try Tree.write(temp.sub("ws/notes.txt"), "new in b3\n")
        let third = try Self.backup(temp, id: "b3", base: true)
        let manifest = try IncrementalArchiveTests.manifest(third.archive)
        #expect(manifest.references == ["b1", "b2"])
        let model = try #require(IncrementalArchiveTests.line(manifest, "ws/ckpt/model.pt"))
        #expect(Set(model.segments?.map { $0.holder ?? "b3" } ?? []) == ["b1", "b2", "b3"])
        let log = try #require(IncrementalArchiveTests.line(manifest, "ws/logs/train.log"))
        #expect(log.holders == ["b1", "b2"], "the unchanged log keeps b2's segments")
        #expect(third.bytesIn <= UInt64(Self.mib) + 100)

        try Self.expectRestoresWhole(temp, third.archive, into: "r3", references: ["b1", "b2"])
        let again = try Self.restore(temp, temp.sub("b2.zip"), into: "r2", references: ["b1"])
        #expect(again.problems.isEmpty, "\(again.problems)")
        #expect(try Tree.snapshot(temp.sub("r2/ws")) == afterSecond)

        // Without b1's archive the files that need it are named, the rest restored.
        let partial = try Self.restore(temp, third.archive, into: "r3b", references: ["b2"])
        #expect(partial.missingBackups == ["b1"])
        #expect(partial.problems.contains { $0.entry == "ws/ckpt/model.pt" })
        #expect(Tree.read(temp.sub("r3b/ws/notes.txt")) == Array("new in b3\n".utf8))
    }

    /// When most of a file changed it is stored whole; when an archive it takes parts from is
    /// retiring, it is stored whole too, and nothing references that archive any more.
    @Test func mostlyChangedOrRetiringFilesAreStoredWhole() throws {
        let temp = TemporaryFolder()
        try Self.workspace(temp)
        _ = try Self.backup(temp, id: "b1", base: false)
        try Self.patch(temp.sub("ws/ckpt/model.pt"), at: 0, count: 4 * Self.mib, seed: 4)
        let second = try Self.backup(temp, id: "b2", base: true)
        let manifest = try IncrementalArchiveTests.manifest(second.archive)
        let model = try #require(IncrementalArchiveTests.line(manifest, "ws/ckpt/model.pt"))
        #expect(model.segments == nil && model.holder == nil, "more than half changed: stored whole")
        #expect(model.parts?.count == 7)

        try Self.patch(temp.sub("ws/logs/train.log"), at: 100, count: 10, seed: 5)
        let third = try Self.backup(temp, id: "b3", base: true, retiring: ["b1"])
        let retired = try IncrementalArchiveTests.manifest(third.archive)
        #expect(!retired.referencedBackups.contains("b1"), "\(retired.referencedBackups)")
        let log = try #require(IncrementalArchiveTests.line(retired, "ws/logs/train.log"))
        #expect(log.segments == nil && log.holder == nil)
        try Self.expectRestoresWhole(temp, third.archive, into: "r3", references: ["b2"])
    }

    /// When the archive holding a changed part retires, only that part is read again from the
    /// (unchanged) file and stored: the file is not stored whole, and nothing references b2.
    @Test func aRetiringPartHolderCostsOnlyItsParts() throws {
        let temp = TemporaryFolder()
        try Self.workspace(temp)
        _ = try Self.backup(temp, id: "b1", base: false)
        try Self.patch(temp.sub("ws/ckpt/model.pt"), at: 4 * Self.mib + 17, count: 3000, seed: 9)
        _ = try Self.backup(temp, id: "b2", base: true)
        let third = try Self.backup(temp, id: "b3", base: true, retiring: ["b2"])
        let manifest = try IncrementalArchiveTests.manifest(third.archive)
        #expect(manifest.references == ["b1"])
        let model = try #require(IncrementalArchiveTests.line(manifest, "ws/ckpt/model.pt"))
        #expect(
            model.segments?.filter { $0.holder == nil } == [
                Manifest.Segment(holder: nil, entry: ".paca/parts/ws/ckpt/model.pt@4194304", offset: 0, size: UInt64(Self.mib))
            ])
        #expect(third.bytesIn == UInt64(Self.mib))
        try Self.expectRestoresWhole(temp, third.archive, into: "r3", references: ["b1"])
    }

    /// A checkpoint renamed (and another copied) since the base is found by its contents: the
    /// new names take their bytes from where b1 keeps them, nothing of them is stored, and the
    /// tree restores whole. A large file with new contents is still stored.
    @Test func aRenamedOrCopiedLargeFileIsNotStoredAgain() throws {
        let temp = TemporaryFolder()
        try Self.workspace(temp)
        _ = try Self.backup(temp, id: "b1", base: false)
        try FileManager.default.moveItem(atPath: temp.sub("ws/ckpt/model.pt"), toPath: temp.sub("ws/ckpt/step-1000.pt"))
        try FileManager.default.copyItem(atPath: temp.sub("ws/logs/train.log"), toPath: temp.sub("ws/logs/train.log.1"))
        var rng = SeededRandom(seed: 31)
        try Tree.write(temp.sub("ws/ckpt/fresh.pt"), rng.bytes(6 * Self.mib + Self.mib / 2))  // same size as model.pt, other bytes
        let second = try Self.backup(temp, id: "b2", base: true)
        #expect(second.moved == 2)
        #expect(second.bytesIn == UInt64(6 * Self.mib + Self.mib / 2), "only fresh.pt is stored: \(second.bytesIn)")
        let manifest = try IncrementalArchiveTests.manifest(second.archive)
        #expect(
            IncrementalArchiveTests.line(manifest, "ws/ckpt/step-1000.pt")?.segments == [
                Manifest.Segment(holder: "b1", entry: "ws/ckpt/model.pt", offset: 0, size: UInt64(6 * Self.mib + Self.mib / 2))
            ])
        #expect(IncrementalArchiveTests.line(manifest, "ws/logs/train.log.1")?.holders == ["b1"])
        try Self.expectRestoresWhole(temp, second.archive, into: "r2", references: ["b1"])
        // The renamed file, patched next time, stores one part.
        try Self.patch(temp.sub("ws/ckpt/step-1000.pt"), at: Self.mib, count: 10, seed: 32)
        let third = try Self.backup(temp, id: "b3", base: true)
        #expect(third.bytesIn == UInt64(Self.mib))
        try Self.expectRestoresWhole(temp, third.archive, into: "r3", references: ["b1", "b2"])
    }

    /// A forged part entry (other bytes, CRC and sizes made consistent) is caught by the file's
    /// SHA-256: the file is not restored, and deep verification names it.
    @Test func aForgedPartIsCaughtByTheFilesDigest() throws {
        let temp = TemporaryFolder()
        try Self.workspace(temp)
        let first = try Self.backup(temp, id: "b1", base: false)
        try Self.patch(temp.sub("ws/ckpt/model.pt"), at: 0, count: 1000, seed: 6)
        _ = try Self.backup(temp, id: "b2", base: true, level: 0)
        // The part entry is stored (level 0): flip a byte inside it and fix its CRC-32 in both headers.
        let archive = try ArchiveReader(path: temp.sub("b2.zip"))
        let part = try #require(archive.entries.first { $0.path == ".paca/parts/ws/ckpt/model.pt@0" })
        let start = try archive.dataOffset(of: part)
        var bytes = Tree.read(temp.sub("b2.zip"))
        bytes[Int(start) + 10] ^= 0xFF
        let newCRC = bytes[Int(start)..<Int(start + part.size)].withUnsafeBytes { CRC32(of: $0).value }
        let old = withUnsafeBytes(of: part.crc32.littleEndian, Array.init)
        let new = withUnsafeBytes(of: newCRC.littleEndian, Array.init)
        var replaced = 0
        for i in 0..<(bytes.count - 4) where Array(bytes[i..<i + 4]) == old {
            bytes.replaceSubrange(i..<i + 4, with: new)
            replaced += 1
        }
        #expect(replaced >= 2)
        try Data(bytes).write(to: URL(fileURLWithPath: temp.sub("forged.zip")))
        let result = try ArchiveExtractor.extract(
            temp.sub("forged.zip"), to: temp.sub("out"), options: ExtractionOptions(restoresOwnership: false),
            references: ["b1": try FileByteSource(path: first.archive)])
        #expect(result.problems.contains { $0.entry == "ws/ckpt/model.pt" && $0.message.contains("SHA-256") }, "\(result.problems)")
        #expect(!FileManager.default.fileExists(atPath: temp.sub("out/ws/ckpt/model.pt")))
        let manifest = try IncrementalArchiveTests.manifest(temp.sub("forged.zip"))
        let deep = ArchiveVerifier.verifyReferencedFiles(
            manifest, own: try FileByteSource(path: temp.sub("forged.zip")), references: ["b1": try FileByteSource(path: first.archive)])
        #expect(deep.contains { $0.entry == "ws/ckpt/model.pt" })
    }

    /// The index rebuilt from a manifest with segments equals the one the backup wrote, and the
    /// archive with part entries passes unzip, 7z and Python's zipfile, the parts under .paca/parts/.
    @Test func segmentsSurviveAnIndexRebuildAndStockToolsReadTheArchive() throws {
        let temp = TemporaryFolder()
        try Self.workspace(temp)
        _ = try Self.backup(temp, id: "b1", base: false)
        try Self.patch(temp.sub("ws/ckpt/model.pt"), at: 3 * Self.mib, count: 10, seed: 7)
        let second = try Self.backup(temp, id: "b2", base: true)
        try ChangeIndex.write(from: try IncrementalArchiveTests.manifest(second.archive), to: temp.sub("rebuilt"))
        func records(_ path: String) throws -> [IndexedFile] {
            let reader = try ChangeIndexReader(path: path)
            var all: [IndexedFile] = []
            while let next = try reader.next() { all.append(next) }
            return all
        }
        let written = try records(temp.sub("index"))
        #expect(try records(temp.sub("rebuilt")) == written)
        #expect(written.first { $0.path == "ws/ckpt/model.pt" }?.segments.count == 3)
        #expect(written.first { $0.path == "ws/ckpt/model.pt" }?.parts.count == 7 * 32)

        guard let unzip = Tool.require("unzip", package: "unzip"), let sevenZip = Tool.require("7z", package: "p7zip-full"),
            let python = Tool.require("python3", package: "python3")
        else { return }
        let tested = try Tool.run(unzip, ["-t", second.archive])
        #expect(tested.status == 0 && tested.stdout.contains("No errors detected"), "\(tested.stdout)\(tested.stderr)")
        let seven = try Tool.run(sevenZip, ["t", second.archive])
        #expect(seven.status == 0 && seven.stdout.contains("Everything is Ok"), "\(seven.stdout)")
        // What docs/archive-format.md tells a user without pacad: the parts are plain files, and
        // the segments say which bytes of which archive make the file.
        let script = """
            import sys, zipfile, json, hashlib
            new, old = zipfile.ZipFile(sys.argv[1]), zipfile.ZipFile(sys.argv[2])
            assert new.testzip() is None
            m = json.loads(new.read(".paca/manifest.json"))
            e = next(e for e in m["entries"] if e["path"] == "ws/ckpt/model.pt")
            data = b""
            for s in e["segments"]:
                z = old if s.get("in") == "b1" else new
                data += z.read(s["entry"])[s["at"]:s["at"] + s["size"]]
            print("ok" if hashlib.sha256(data).hexdigest() == e["sha256"] else "bad", m["version"])
            """
        let result = try Tool.run(python, ["-c", script, second.archive, temp.sub("b1.zip")])
        #expect(result.stdout.hasPrefix("ok 3"), "\(result.stdout)\(result.stderr)")
    }

    @Test func segmentLayoutSlicesAndMerges() {
        var layout = SegmentLayout([
            Manifest.Segment(holder: "a", entry: "f", offset: 0, size: 10),
            Manifest.Segment(holder: "b", entry: "p", offset: 5, size: 4),
            Manifest.Segment(holder: "a", entry: "f", offset: 14, size: 6),
        ])
        #expect(layout.slice(0, 4) == [Manifest.Segment(holder: "a", entry: "f", offset: 0, size: 4)])
        #expect(
            layout.slice(8, 12) == [
                Manifest.Segment(holder: "a", entry: "f", offset: 8, size: 2),
                Manifest.Segment(holder: "b", entry: "p", offset: 5, size: 2),
            ])
        #expect(layout.slice(14, 20) == [Manifest.Segment(holder: "a", entry: "f", offset: 14, size: 6)])
        #expect(layout.slice(18, 21) == nil, "past the end")
        #expect(
            SegmentLayout.merged([
                Manifest.Segment(holder: "a", entry: "f", offset: 0, size: 4),
                Manifest.Segment(holder: "a", entry: "f", offset: 4, size: 4),
                Manifest.Segment(holder: nil, entry: "f", offset: 8, size: 4),
            ]) == [
                Manifest.Segment(holder: "a", entry: "f", offset: 0, size: 8),
                Manifest.Segment(holder: nil, entry: "f", offset: 8, size: 4),
            ])
    }

    /// Verification of an archive alone checks that the segments it holds itself are there and
    /// lie within their entries (segments in other archives are for --deep).
    @Test func verifyChecksTheSegmentsAnArchiveHoldsItself() throws {
        var line = Manifest.Entry(path: "f", type: .file, size: 30, mode: 0o644, mtime: 0)
        line.segments = [
            Manifest.Segment(holder: "b1", entry: "f", offset: 0, size: 10),
            Manifest.Segment(holder: nil, entry: ".paca/parts/f@10", offset: 0, size: 10),
            Manifest.Segment(holder: nil, entry: ".paca/parts/f@20", offset: 5, size: 10),
        ]
        var part = Manifest.Entry(path: ".paca/parts/f@20", type: .file, size: 12, mode: 0o644, mtime: 0)
        part.sha256 = "-"
        let entry = ArchiveEntry(
            path: ".paca/parts/f@20", kind: .file, mode: 0o644, modificationTime: 0, method: .stored, crc32: 0, compressedSize: 12,
            size: 12,
            localHeaderOffset: 0, flags: 0)
        let problems = ArchiveVerifier.compare(manifest: ["f": line, part.path: part], with: [entry])
        #expect(problems.count == 2, "\(problems)")
        #expect(problems.contains { $0.entry == "f" && $0.message.contains(".paca/parts/f@10 is not in the archive") })
        #expect(problems.contains { $0.entry == "f" && $0.message.contains("reaches past the end") })
    }

    /// A manifest whose segments do not add up to the file's size is refused by name.
    @Test func aManifestWithInconsistentSegmentsIsRefused() throws {
        let text = """
            {"format":"paca.manifest","version":3,"backup_id":"x","created_at":"2024-01-01T00:00:00Z","entries":[
            {"path":"f","type":"file","size":10,"mode":"0644","mtime":0,"sha256":"00","segments":[{"entry":"f","at":0,"size":9}]}],
            "entry_count":1,"bytes":10}
            """
        #expect(throws: ArchiveError.self) { try Manifest.decode(Array(text.utf8)) }
        do {
            _ = try Manifest.decode(Array(text.utf8))
        } catch {
            #expect(error.description.contains("segments"))
        }
    }
}
