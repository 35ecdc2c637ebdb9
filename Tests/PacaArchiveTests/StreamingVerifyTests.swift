import Crypto
import Foundation
import PacaCore
import PacaSystem
import PacaTestSupport
import Testing

@testable import PacaArchive

/// The verifier reads the central directory and the manifest side by side, in blocks, and checks
/// entries in batches: it must find the same things the whole-archive check finds, across block
/// and batch boundaries, and fall back to the whole check for an archive laid out otherwise.
@Suite struct StreamingVerifyTests {
    @Test func manyEntriesAcrossBlocksAndBatchesAreEachChecked() async throws {
        let problems = try await checkedOffPool { check in
            let temp = TemporaryFolder()
            // 9,000 files with 200-byte names: a central directory of about 2.5 MiB (three blocks)
            // and three batches.
            let stem = String(repeating: "n", count: 180)
            for index in 0..<9000 {
                try Tree.write(temp.sub("ws/d\(index / 1000)/\(stem)-\(index).txt"), Array("file \(index)\n".utf8))
            }
            let archive = temp.sub("many.zip")
            try makeArchive([temp.sub("ws")], at: archive)
            let good = try ArchiveVerifier.verify(archive)
            check(good.isValid, "\(good.problems.prefix(3))")
            check(good.entries == 9000 + 10 + 1, "entries \(good.entries)")
            check(good.hasManifest && good.sidecar == "ok")
            check(good.manifestSha256 == (try ArchiveReader(path: archive).manifestWithDigest().sha256))

            // One byte of one file in the middle changes (its CRC-32 too: the stored data is
            // rewritten consistently would need the tools of the catalog tests).
            let reader = try ArchiveReader(path: archive)
            let victim = try #require(reader.entries.first { $0.path.hasSuffix("-4500.txt") })
            let offset = try reader.dataOffset(of: victim)
            let handle = try #require(FileHandle(forUpdatingAtPath: archive))
            try handle.seek(toOffset: offset)
            var byte = try #require(handle.readData(ofLength: 1).first)
            byte ^= 0x01
            try handle.seek(toOffset: offset)
            handle.write(Data([byte]))
            try handle.close()
            let bad = try ArchiveVerifier.verify(archive)
            let entries = Set(bad.problems.compactMap(\.entry))
            check(entries == [victim.path], "\(bad.problems.map(\.message))")
            check(bad.sidecar == "mismatch")
            let whole = try ArchiveVerifier.verifyWhole(
                archive, source: try FileByteSource(path: archive), cataloged: nil, threads: nil, pacer: nil, progress: nil)
            check(Set(whole.problems.compactMap(\.entry)) == entries, "the whole check finds the same")
        }
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test func anArchiveInAnotherOrderThanItsManifestIsCheckedWhole() throws {
        guard let zip = Tool.require("zip", package: "zip") else { return }
        let temp = TemporaryFolder()
        let a = Array("alpha\n".utf8)
        let b = Array("beta beta\n".utf8)
        try Tree.write(temp.sub("z/a.txt"), a)
        try Tree.write(temp.sub("z/b.txt"), b)
        func line(_ path: String, _ bytes: [UInt8]) -> String {
            #"{"path":"\#(path)","type":"file","size":\#(bytes.count),"mode":"0644","mtime":0,"sha256":"\#(SHA256.hash(data: bytes).hexString)"}"#
        }
        // pacad's line layout, the files listed b first: the zip stores a first.
        let manifest = """
            {"format":"paca.manifest","version":3,"backup_id":"x","set":null,"created_at":"2026-01-01T00:00:00Z","parent":null,"entries":[
            \(line("b.txt", b)),
            \(line("a.txt", a))
            ],"kind":"full","references":[],"entry_count":2,"bytes":\(a.count + b.count)}

            """
        try Tree.write(temp.sub("z/.paca/manifest.json"), Array(manifest.utf8))
        let made = try Tool.run(zip, ["-q", "-D", "-X", temp.sub("out.zip"), "a.txt", "b.txt", ".paca/manifest.json"], in: temp.sub("z"))
        #expect(made.status == 0, "\(made.stderr)")
        let result = try ArchiveVerifier.verify(temp.sub("out.zip"))
        #expect(result.isValid && result.hasManifest, "\(result.problems)")
        #expect(result.entries == 3)
    }
}
