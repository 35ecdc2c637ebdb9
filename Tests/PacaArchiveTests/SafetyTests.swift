import Foundation
import PacaCore
import PacaTestSupport
import Synchronization
import Testing

@testable import PacaArchive

/// Builds hostile archives by hand with the writer's own record encoder.
struct HostileArchive {
    private var bytes: [UInt8] = []
    private var directory: [UInt8] = []
    private var count: UInt64 = 0

    mutating func add(_ name: String, kind: ArchiveEntry.Kind = .file, content: String = "pwned", mode: UInt32 = 0o644) {
        let data = Array(content.utf8)
        var record = EntryRecord(
            name: Array(name.utf8), kind: kind, mode: mode, modificationTime: 1_700_000_000, uid: 0, gid: 0,
            method: .stored, usesDataDescriptor: false, hasLocalZip64: false)
        record.crc32 = data.withUnsafeBytes { CRC32(of: $0).value }
        record.size = UInt64(data.count)
        record.compressedSize = UInt64(data.count)
        record.localHeaderOffset = UInt64(bytes.count)
        bytes += record.localHeader() + data
        directory += record.centralHeader()
        count += 1
    }

    func write(to path: String) throws {
        let end = EndOfCentralDirectory(entryCount: count, directoryOffset: UInt64(bytes.count), directorySize: UInt64(directory.count))
        try Tree.write(path, bytes + directory + end.encoded(at: UInt64(bytes.count + directory.count)))
    }
}

@Suite struct SafetyTests {
    @Test(arguments: ["../evil.txt", "/tmp/evil.txt", "a/../../evil.txt", "a/./b", "a//b", "C:/evil"])
    func unsafeEntryPathsAreRefusedBeforeAnythingIsWritten(_ name: String) throws {
        let temp = TemporaryFolder()
        var archive = HostileArchive()
        archive.add("innocent.txt")
        archive.add(name)
        try archive.write(to: temp.sub("evil.zip"))
        do {
            _ = try ArchiveExtractor.extract(temp.sub("evil.zip"), to: temp.sub("out/inner"))
            Issue.record("extraction of \(name) succeeded")
        } catch {
            #expect(error.code == .unsafePath)
            #expect(error.entry == name.trimmingSuffix("/"))
            #expect(error.description.contains(name))
        }
        #expect(!FileManager.default.fileExists(atPath: temp.sub("out/inner/innocent.txt")))
        #expect(!FileManager.default.fileExists(atPath: temp.sub("out/evil.txt")))
    }

    @Test func archiveSymlinkCannotBeUsedToWriteOutside() throws {
        let temp = TemporaryFolder()
        try Tree.directory(temp.sub("outside"))
        var archive = HostileArchive()
        archive.add("link", kind: .symlink, content: temp.sub("outside"), mode: 0o777)
        archive.add("link/pwned.txt")
        try archive.write(to: temp.sub("evil.zip"))
        let result = try? ArchiveExtractor.extract(temp.sub("evil.zip"), to: temp.sub("out"))
        #expect(!FileManager.default.fileExists(atPath: temp.sub("outside/pwned.txt")))
        if let result { #expect(!result.problems.isEmpty) }
    }

    /// A symlink already in the destination is never followed, wherever it leads: entries under
    /// it are refused, and nothing is written through it.
    @Test func existingSymlinksInTheDestinationAreNotFollowed() throws {
        let temp = TemporaryFolder()
        try Tree.directory(temp.sub("outside"))
        try Tree.directory(temp.sub("dest/real"))
        try Tree.symlink(temp.sub("dest/escape"), to: temp.sub("outside"))
        try Tree.symlink(temp.sub("dest/inside"), to: "real")
        var archive = HostileArchive()
        archive.add("escape/pwned.txt")
        archive.add("inside/ok.txt", content: "fine")
        try archive.write(to: temp.sub("a.zip"))
        let result = try ArchiveExtractor.extract(temp.sub("a.zip"), to: temp.sub("dest"))
        #expect(!FileManager.default.fileExists(atPath: temp.sub("outside/pwned.txt")))
        #expect(result.problems.map(\.entry) == ["escape/pwned.txt", "inside/ok.txt"])
        #expect(result.problems.allSatisfy { $0.code == .unsafePath }, "\(result.problems)")
        #expect(result.problems.first?.message.contains("symlink") == true)
        #expect(!FileManager.default.fileExists(atPath: temp.sub("dest/real/ok.txt")))
    }

    /// Another thread keeps swapping a folder of the destination for a symlink to a folder
    /// outside while a restore writes thousands of files into it: entries caught by a swap fail
    /// (at least one must), and nothing ever lands outside.
    @Test func aFolderSwappedForASymlinkDuringARestoreNeverLeadsOutside() async throws {
        let temp = TemporaryFolder()
        for index in 0..<3000 { try Tree.write(temp.sub("src/d/f\(index).txt"), "file \(index)") }
        try makeArchive([temp.sub("src")], at: temp.sub("many.zip"), level: 1)
        try Tree.directory(temp.sub("outside"))
        var refusals = 0
        for attempt in 0..<5 {
            let dest = temp.sub("dest\(attempt)")
            try Tree.directory(dest + "/src/d")
            let stop = Atomic<Bool>(false)
            let folder = dest + "/src/d"
            let outside = temp.sub("outside")
            let swapper = Thread {
                while !stop.load(ordering: .relaxed) {
                    guard rename(folder, folder + ".moved") == 0 else { continue }
                    _ = symlink(outside, folder)
                    usleep(200)
                    _ = unlink(folder)
                    _ = rename(folder + ".moved", folder)
                    usleep(100)
                }
            }
            swapper.start()
            let result = try await offPool {
                try ArchiveExtractor.extract(temp.sub("many.zip"), to: dest, options: ExtractionOptions(threads: 2))
            }
            stop.store(true, ordering: .relaxed)
            while !swapper.isFinished { usleep(1000) }
            let escaped = try FileManager.default.contentsOfDirectory(atPath: outside)
            #expect(escaped.isEmpty, "written outside the destination: \(escaped.prefix(5))")
            refusals += result.problems.filter { $0.code == .unsafePath }.count
            if refusals > 0 { break }
        }
        #expect(refusals > 0, "no swap was ever caught: the test did not race")
    }

    @Test func existingFilesAreKeptUnlessOverwriteIsAsked() throws {
        let temp = TemporaryFolder()
        try Tree.write(temp.sub("src/a.txt"), "from backup")
        try makeArchive([temp.sub("src")], at: temp.sub("b.zip"))
        try Tree.write(temp.sub("dest/src/a.txt"), "newer local edit")
        let kept = try ArchiveExtractor.extract(temp.sub("b.zip"), to: temp.sub("dest"))
        #expect(kept.problems.map(\.code) == [.alreadyExists])
        #expect(String(decoding: Tree.read(temp.sub("dest/src/a.txt")), as: UTF8.self) == "newer local edit")
        let replaced = try ArchiveExtractor.extract(temp.sub("b.zip"), to: temp.sub("dest"), options: ExtractionOptions(overwrite: true))
        #expect(replaced.problems.isEmpty)
        #expect(String(decoding: Tree.read(temp.sub("dest/src/a.txt")), as: UTF8.self) == "from backup")
    }

    @Test func includePatternsSelectEntriesAndTheirParents() throws {
        let temp = TemporaryFolder()
        try Tree.write(temp.sub("ws/configs/train.yaml"), "a")
        try Tree.write(temp.sub("ws/configs/deep/eval.yaml"), "b")
        try Tree.write(temp.sub("ws/runs/x/model.pt"), "c")
        try Tree.write(temp.sub("ws/runs/y/model.pt"), "d")
        chmod(temp.sub("ws/configs"), 0o750)
        try makeArchive([temp.sub("ws")], at: temp.sub("b.zip"))
        let result = try ArchiveExtractor.extract(
            temp.sub("b.zip"), to: temp.sub("out"),
            options: ExtractionOptions(includes: [try PathPattern("*.yaml"), try PathPattern("ws/runs/x")]))
        #expect(result.problems.isEmpty)
        let restored = Set(try Tree.snapshot(temp.sub("out")).keys)
        #expect(restored.isSuperset(of: ["ws/configs/train.yaml", "ws/configs/deep/eval.yaml", "ws/runs/x/model.pt"]))
        #expect(!restored.contains("ws/runs/y/model.pt"))
        #expect(!restored.contains(".paca/manifest.json"))
        var info = stat()
        #expect(stat(temp.sub("out/ws/configs"), &info) == 0)
        #expect(info.st_mode & 0o7777 == 0o750)
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
}
