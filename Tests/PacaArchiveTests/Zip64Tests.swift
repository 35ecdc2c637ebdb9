import Foundation
import PacaTestSupport
import Testing

@testable import PacaArchive

@Suite(.serialized) struct Zip64Tests {
    @Test func centralHeaderRoundTripsValuesPast32Bits() throws {
        var record = EntryRecord(
            name: Array("big.bin".utf8), kind: .file, mode: 0o600, modificationTime: 1_700_000_000, uid: 1000, gid: 100,
            method: .deflated, usesDataDescriptor: true, hasLocalZip64: true)
        record.size = 5 << 30
        record.compressedSize = 4 << 30 + 17
        record.localHeaderOffset = 6 << 30
        record.crc32 = 0xDEAD_BEEF
        var reader = ByteReader(record.centralHeader()[...], baseOffset: 0, what: "test")
        let entry = try CentralHeaderParser.parse(&reader, index: 0)
        #expect(entry.size == 5 << 30)
        #expect(entry.compressedSize == 4 << 30 + 17)
        #expect(entry.localHeaderOffset == 6 << 30)
        #expect(entry.crc32 == 0xDEAD_BEEF)
        #expect(entry.mode == 0o600)
        #expect(entry.uid == 1000 && entry.gid == 100)
        #expect(entry.modificationTime == 1_700_000_000)
    }

    @Test func endRecordsUseZip64WhenCountOrOffsetsOverflow() throws {
        for end in [
            EndOfCentralDirectory(entryCount: 70_000, directoryOffset: 100, directorySize: 200),
            EndOfCentralDirectory(entryCount: 3, directoryOffset: 5 << 30, directorySize: 200),
        ] {
            #expect(end.needsZip64)
            let position = end.directoryOffset + end.directorySize
            let bytes = end.encoded(at: position)
            #expect(bytes.count == Zip.zip64EndOfCentralDirectorySize + Zip.zip64LocatorSize + Zip.endOfCentralDirectorySize)
            let parsed = try EndRecords.parseZip64(bytes[0..<Zip.zip64EndOfCentralDirectorySize], at: position)
            #expect(parsed == end)
            let locator = try EndRecords.parseLocator(bytes[Zip.zip64EndOfCentralDirectorySize...].prefix(Zip.zip64LocatorSize), at: 0)
            #expect(locator == position)
        }
    }

    /// More than 65,535 entries: ZIP64 end records, readable by every tool.
    @Test func moreThan65535EntriesRoundTrip() async throws {
        // Minutes of synchronous work, off the cooperative pool (see checkedOffPool).
        let problems = try await checkedOffPool { check in
            let temp = TemporaryFolder()
            let root = temp.sub("many")
            var failures = 0
            for dir in 0..<70 {
                try Tree.directory("\(root)/d\(dir)")
                for file in 0..<1000 {
                    let fd = open("\(root)/d\(dir)/f\(file)", O_WRONLY | O_CREAT | O_EXCL, 0o644)
                    let text = "\(dir)/\(file)"
                    if fd < 0 || write(fd, text, text.utf8.count) != text.utf8.count { failures += 1 }
                    close(fd)
                }
            }
            check(failures == 0)
            let result = try makeArchive([root], at: temp.sub("many.zip"))
            check(result.files == 70_000)
            check(result.errors.isEmpty && result.warnings.isEmpty, "\(result.errors.prefix(5)) \(result.warnings.prefix(5))")
            let archive = try ArchiveReader(path: temp.sub("many.zip"))
            check(archive.entries.count == 70_000 + 70 + 1 + 1)
            check(try ArchiveVerifier.verify(temp.sub("many.zip")).problems == [])
            if let unzip = Tool.require("unzip", package: "unzip") {
                let test = try Tool.run(unzip, ["-tq", temp.sub("many.zip")])
                check(test.status == 0, "\(test.stdout.suffix(500))\(test.stderr)")
            }
            if let python = Tool.require("python3", package: "python3") {
                let count = try Tool.run(
                    python,
                    [
                        "-c", "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(len(z.infolist()))",
                        temp.sub("many.zip"),
                    ])
                check(count.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "70072", "\(count.stderr)")
            }
            if let sevenZip = Tool.require("7z", package: "p7zip-full") {
                let test = try Tool.run(sevenZip, ["t", temp.sub("many.zip")])
                check(test.stdout.contains("Everything is Ok"), "\(test.stdout.suffix(500))")
            }

        }
        #expect(problems.isEmpty, "\(problems)")
    }

    /// A sparse file just over 4 GiB, deflated (sizes past 32 bits), then stored, so the archive
    /// itself passes 4 GiB and the entries after it start beyond it.
    @Test func filesAndArchivesOver4GiBRoundTrip() async throws {
        // Minutes of synchronous work, off the cooperative pool (see checkedOffPool).
        let problems = try await checkedOffPool { check in
            let temp = TemporaryFolder()
            try Tree.write(temp.sub("big/marker.txt"), "before")
            check(truncate(temp.sub("big/marker.txt"), 0) == 0)
            try Tree.write(temp.sub("big/sparse.bin"), [1, 2, 3])
            check(truncate(temp.sub("big/sparse.bin"), 4_300_000_000) == 0)

            try makeArchive([temp.sub("big")], at: temp.sub("deflated.zip"), level: 1, pieceSize: 4 << 20)
            let deflated = try ArchiveReader(path: temp.sub("deflated.zip"))
            let entry = try required(deflated.entries.first { $0.path == "big/sparse.bin" })
            check(entry.size == 4_300_000_000)
            check(entry.method == .deflated)
            check(try ArchiveVerifier.verify(temp.sub("deflated.zip")).problems == [])
            if let unzip = Tool.require("unzip", package: "unzip") {
                let test = try Tool.run(unzip, ["-tq", temp.sub("deflated.zip")])
                check(test.status == 0, "\(test.stdout)\(test.stderr)")
            }
            try FileManager.default.removeItem(atPath: temp.sub("deflated.zip"))

            try Tree.write(temp.sub("big/zz-after.txt"), "after the 4 GiB mark")
            try makeArchive([temp.sub("big")], at: temp.sub("stored.zip"), level: 0, pieceSize: 4 << 20)
            let stored = try ArchiveReader(path: temp.sub("stored.zip"))
            check(stored.fileSize > 4 << 30)
            let after = try required(stored.entries.first { $0.path == "big/zz-after.txt" })
            check(after.localHeaderOffset > 4 << 30)
            check(try ArchiveVerifier.verify(temp.sub("stored.zip")).problems == [])
            let extracted = try ArchiveExtractor.extract(
                temp.sub("stored.zip"), to: temp.sub("out"), options: .init(includes: [try .init("zz-after.txt")]))
            check(extracted.problems.isEmpty)
            check(String(decoding: Tree.read(temp.sub("out/big/zz-after.txt")), as: UTF8.self) == "after the 4 GiB mark")
            if let unzip = Tool.require("unzip", package: "unzip") {
                let list = try Tool.run(unzip, ["-l", temp.sub("stored.zip")])
                check(list.status == 0 && list.stdout.contains("4300000000"), "\(list.stdout)\(list.stderr)")
            }
            if let python = Tool.require("python3", package: "python3") {
                let read = try Tool.run(
                    python,
                    [
                        "-c", "import zipfile,sys; print(zipfile.ZipFile(sys.argv[1]).read('big/zz-after.txt').decode())",
                        temp.sub("stored.zip"),
                    ])
                check(read.stdout.hasPrefix("after the 4 GiB mark"), "\(read.stderr)")
            }

        }
        #expect(problems.isEmpty, "\(problems)")
    }
}
