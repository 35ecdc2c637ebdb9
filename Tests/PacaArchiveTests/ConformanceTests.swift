import Foundation
import PacaTestSupport
import Testing

@testable import PacaArchive

/// Archives must open in the tools people already have. These run the real tools; `make test`
/// installs them (unzip, p7zip-full, libarchive-tools, python3).
@Suite struct ConformanceTests {
    static func representativeArchive(_ temp: TemporaryFolder, level: Int = 3) throws -> String {
        var rng = SeededRandom(seed: 42)
        try Tree.write(temp.sub("ws/configs/train.yaml"), "lr: 0.001\nbatch: 64\n", mode: 0o600, mtime: 1_700_000_000)
        try Tree.write(temp.sub("ws/datasets/train.jsonl"), rng.text(700_000))
        try Tree.write(temp.sub("ws/checkpoints/model.pt"), rng.bytes(400_000), mode: 0o444)
        try Tree.write(temp.sub("ws/empty.txt"), "")
        try Tree.directory(temp.sub("ws/empty-dir"), mode: 0o700)
        try Tree.write(temp.sub("ws/한국어/학습 로그.txt"), "손실 0.25\n")
        try Tree.symlink(temp.sub("ws/latest"), to: "checkpoints/model.pt")
        try makeArchive([temp.sub("ws")], at: temp.sub("ws.zip"), level: level)
        return temp.sub("ws.zip")
    }

    @Test(arguments: [0, 3]) func infoZipUnzipTestsClean(level: Int) throws {
        let temp = TemporaryFolder()
        let archive = try Self.representativeArchive(temp, level: level)
        guard let unzip = Tool.require("unzip", package: "unzip") else { return }
        let result = try Tool.run(unzip, ["-t", archive])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("No errors detected"))
    }

    @Test func infoZipRestoresModesTimesAndSymlinks() throws {
        let temp = TemporaryFolder()
        let archive = try Self.representativeArchive(temp)
        guard let unzip = Tool.require("unzip", package: "unzip") else { return }
        let result = try Tool.run(unzip, ["-q", archive, "-d", temp.sub("unzipped")])
        #expect(result.status == 0, "\(result.stderr)")
        let ours = try Tree.snapshot(temp.sub("ws"))
        let theirs = try Tree.snapshot(temp.sub("unzipped/ws"))
        for (path, description) in ours where !description.hasPrefix("dir") {
            #expect(theirs[path] == description, "\(path)")
        }
    }

    @Test func sevenZipTestsClean() throws {
        let temp = TemporaryFolder()
        let archive = try Self.representativeArchive(temp)
        guard let sevenZip = Tool.require("7z", package: "p7zip-full") else { return }
        let result = try Tool.run(sevenZip, ["t", archive])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("Everything is Ok"))
    }

    @Test func bsdtarListsAndExtracts() throws {
        let temp = TemporaryFolder()
        let archive = try Self.representativeArchive(temp)
        guard let bsdtar = Tool.require("bsdtar", package: "libarchive-tools") else { return }
        let list = try Tool.run(bsdtar, ["-tf", archive])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.contains("ws/한국어/학습 로그.txt"))
        try Tree.directory(temp.sub("bsd"))
        let extract = try Tool.run(bsdtar, ["-xf", archive, "-C", temp.sub("bsd")])
        #expect(extract.status == 0, "\(extract.stderr)")
        #expect(Tree.read(temp.sub("bsd/ws/datasets/train.jsonl")) == Tree.read(temp.sub("ws/datasets/train.jsonl")))
        // Streaming read (no seeking) exercises the data descriptors of multi-piece entries.
        let streamed = try Tool.run("/bin/sh", ["-c", "\(bsdtar) -tvf - < '\(archive)'"])
        #expect(streamed.status == 0, "\(streamed.stderr)")
    }

    @Test func pythonZipfileTestzipAndMetadata() throws {
        let temp = TemporaryFolder()
        let archive = try Self.representativeArchive(temp)
        guard let python = Tool.require("python3", package: "python3") else { return }
        let script = """
            import sys, zipfile, json, hashlib
            z = zipfile.ZipFile(sys.argv[1])
            assert z.testzip() is None, z.testzip()
            info = {i.filename: (i.external_attr >> 16, i.file_size) for i in z.infolist()}
            assert info["ws/configs/train.yaml"][0] == 0o100600, oct(info["ws/configs/train.yaml"][0])
            assert info["ws/latest"][0] == 0o120777
            assert info["ws/empty-dir/"][0] == 0o40700
            m = json.loads(z.read(".paca/manifest.json"))
            for e in m["entries"]:
                if e["type"] == "file":
                    assert hashlib.sha256(z.read(e["path"])).hexdigest() == e["sha256"], e["path"]
            print("ok", len(m["entries"]))
            """
        let result = try Tool.run(python, ["-c", script, archive])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.hasPrefix("ok"))
    }
}
