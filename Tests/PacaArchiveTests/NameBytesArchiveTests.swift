import Foundation
import PacaSystem
import PacaTestSupport
import Testing

@testable import PacaArchive

/// Any name Linux allows is backed up and restored byte for byte: EUC-KR and Latin-1 names from
/// old Windows shares, a folder whose name is not UTF-8, a newline in a name, 255-byte names.
@Suite struct NameBytesArchiveTests {
    /// Names as raw bytes, and what each file holds.
    static let names: [([UInt8], String)] = [
        ([0xB5, 0xA5, 0xC0, 0xCC, 0xC5, 0xCD] + Array(".csv".utf8), "euc-kr\n"),  // "데이터" in EUC-KR
        (Array("caf".utf8) + [0xE9] + Array(".txt".utf8), "latin-1\n"),
        (Array("line\nbreak.txt".utf8), "newline\n"),
        (Array(repeating: UInt8(ascii: "n"), count: 255), "long\n"),
        (Array("한국어 ".utf8) + [0xFF] + Array(".txt".utf8), "mixed\n"),
        (Array("real-\u{F7E9}-escape.txt".utf8), "private use\n"),  // a name that holds an escape scalar itself
    ]
    static let folder: [UInt8] = [UInt8(ascii: "d"), 0xFF]

    /// Writes the tree under `root` through raw-byte paths (Foundation would change them).
    static func writeTree(_ root: String) throws {
        let base = SystemPath(root)
        try Syscall.mkdir(base, permissions: 0o755)
        try Syscall.mkdir(base.appending(folder), permissions: 0o755)
        for (name, text) in names {
            for directory in [base, base.appending(folder)] {
                let fd = try Syscall.open(directory.appending(name), .writeOnly, options: [.create, .exclusive], permissions: 0o644)
                try Syscall.writeAll(fd, Array(text.utf8), path: directory.appending(name))
                Syscall.close(fd)
            }
        }
    }

    /// Every file under `root` by its raw relative path, with its contents.
    static func snapshot(_ root: SystemPath, prefix: [UInt8] = []) throws -> [[UInt8]: [UInt8]] {
        var found: [[UInt8]: [UInt8]] = [:]
        for entry in try Syscall.entries(of: root) {
            let path = root.appending(entry.name)
            let relative = prefix.isEmpty ? entry.name : prefix + [UInt8(ascii: "/")] + entry.name
            let info = try Syscall.lstat(path)
            if info.kind == .directory {
                found[relative + [UInt8(ascii: "/")]] = []
                found.merge(try snapshot(path, prefix: relative)) { a, _ in a }
            } else {
                let fd = try Syscall.openForReading(path)
                found[relative] = try Syscall.readAll(fd, path: path)
                Syscall.close(fd)
            }
        }
        return found
    }

    @Test func namesThatAreNotUTF8RoundTripThroughPacadAndUnzip() throws {
        let temp = TemporaryFolder()
        try Self.writeTree(temp.sub("ws"))
        let result = try makeArchive([temp.sub("ws")], at: temp.sub("ws.zip"))
        #expect(result.warnings.isEmpty && result.errors.isEmpty, "\(result.warnings) \(result.errors)")
        #expect(result.files == 2 * Self.names.count)
        let original = try Self.snapshot(SystemPath(temp.sub("ws")))
        #expect(original.count == 2 * Self.names.count + 1)

        // pacad's own extractor gives back the same bytes.
        let extracted = try ArchiveExtractor.extract(temp.sub("ws.zip"), to: temp.sub("ours"))
        #expect(extracted.problems.isEmpty, "\(extracted.problems)")
        #expect(try Self.snapshot(SystemPath(temp.sub("ours/ws"))) == original)

        // So does Info-ZIP's unzip: names that are not UTF-8 are written raw, without bit 11. It
        // needs -^ to keep control characters (the newline; it counts 0xFF among them too).
        guard let unzip = Tool.require("unzip", package: "unzip") else { return }
        let unzipped = try Tool.run(unzip, ["-q", "-^", temp.sub("ws.zip"), "-d", temp.sub("theirs")])
        #expect(unzipped.status == 0, "\(unzipped.stderr)")
        var theirs = try Self.snapshot(SystemPath(temp.sub("theirs/ws")))
        theirs = theirs.filter { !$0.key.starts(with: Array(".paca".utf8)) }
        #expect(theirs == original, "unzip gave \(theirs.keys.map { SystemPath.display($0) }.sorted())")

        // The manifest names every file, losslessly, and verify is clean.
        let reader = try ArchiveReader(path: temp.sub("ws.zip"))
        let manifest = try reader.manifest()
        let manifestNames = Set(manifest.entries.map { NameBytes.bytes($0.path) })
        for (name, _) in Self.names {
            #expect(manifestNames.contains(Array("ws/".utf8) + name))
            #expect(manifestNames.contains(Array("ws/".utf8) + Self.folder + [UInt8(ascii: "/")] + name))
        }
        let verified = try ArchiveVerifier.verify(temp.sub("ws.zip"))
        #expect(verified.isValid, "\(verified.problems)")
    }

    @Test func theCodecIsABijection() {
        var rng = SeededRandom(seed: 7)
        for _ in 0..<20_000 {
            let bytes = rng.bytes(Int(rng.next() % 12)).map { $0 == 0 || $0 == UInt8(ascii: "/") ? 0x80 : $0 }
            let text = NameBytes.string(bytes)
            #expect(NameBytes.bytes(text) == bytes, "\(bytes)")
            #expect(NameBytes.isUTF8(text) == (String(validating: bytes, as: UTF8.self).map { NameBytes.bytes($0) == bytes } ?? false))
        }
        #expect(NameBytes.string(Array("plain ascii".utf8)) == "plain ascii")
        #expect(NameBytes.string(Array("한국어".utf8)) == "한국어")
        #expect(NameBytes.display(NameBytes.string(Array("caf".utf8) + [0xE9])) == "caf\\xe9")
        #expect(NameBytes.display("a\nb\\c") == "a\\nb\\\\c")
        #expect(NameBytes.display("a\\b") == "a\\b")
    }
}

/// The walk holds directories open and opens what is in them relative to them: a tree deeper
/// than PATH_MAX is backed up and restored, and a folder swapped for a symlink during the walk
/// is never followed.
@Suite struct DescriptorWalkTests {
    @Test func aTreeDeeperThanPathMaxRoundTrips() throws {
        let temp = TemporaryFolder()
        try Syscall.mkdir(temp.sub("deep"), permissions: 0o755)
        // 24 folders of 200 bytes: about 4,800 bytes of path, over PATH_MAX (4096).
        let component = String(repeating: "d", count: 200)
        var fd = try Syscall.open(temp.sub("deep"), .readOnly, options: [.directory])
        for _ in 0..<24 {
            try Syscall.mkdir(component, in: fd, permissions: 0o755)
            let next = try Syscall.open(component, beneath: fd, .readOnly, options: [.directory])
            Syscall.close(fd)
            fd = next
        }
        let file = try Syscall.open("bottom.txt", beneath: fd, .writeOnly, options: [.create, .exclusive], permissions: 0o644)
        try Syscall.writeAll(file, Array("at the bottom\n".utf8), path: "bottom.txt")
        Syscall.close(file)
        Syscall.close(fd)

        let result = try makeArchive([temp.sub("deep")], at: temp.sub("deep.zip"))
        #expect(result.errors.isEmpty, "\(result.errors)")
        #expect(result.files == 1 && result.directories == 25)
        let restored = try ArchiveExtractor.extract(temp.sub("deep.zip"), to: temp.sub("out"))
        #expect(restored.problems.isEmpty, "\(restored.problems)")
        // Read it back one folder at a time.
        var walk = try Syscall.open(temp.sub("out/deep"), .readOnly, options: [.directory])
        for _ in 0..<24 {
            let next = try Syscall.open(component, beneath: walk, .readOnly, options: [.directory])
            Syscall.close(walk)
            walk = next
        }
        let bottom = try Syscall.open("bottom.txt", beneath: walk, .readOnly)
        #expect(try Syscall.readAll(bottom, path: "bottom.txt") == Array("at the bottom\n".utf8))
        Syscall.close(bottom)
        Syscall.close(walk)
        let verified = try ArchiveVerifier.verify(temp.sub("deep.zip"))
        #expect(verified.isValid, "\(verified.problems)")
    }

    /// A folder is swapped for a symlink to another tree after the walk has opened it: what is
    /// read of it comes from the folder the walk opened, never through the link (by path, the
    /// backup would have read the other tree's file of the same name, as root).
    @Test func aFolderSwappedForASymlinkIsNotFollowed() throws {
        let temp = TemporaryFolder()
        try Tree.write(temp.sub("src/a/inside.txt"), "mine\n")
        try Tree.write(temp.sub("secret/inside.txt"), "root:x:0:0\n")
        var walker = try SourceWalker(roots: [temp.sub("src")], excludes: [])
        var read: [UInt8]?
        while let item = walker.next() {
            if item.archivePath == "src/a" {
                // The walk has opened and listed a/; swap it for a link before its file is read.
                try FileManager.default.moveItem(atPath: temp.sub("src/a"), toPath: temp.sub("a-moved"))
                try FileManager.default.createSymbolicLink(atPath: temp.sub("src/a"), withDestinationPath: temp.sub("secret"))
            }
            if item.archivePath == "src/a/inside.txt" {
                let fd = try item.openForReading()
                read = try Syscall.readAll(fd, path: item.sourcePath)
                Syscall.close(fd)
            }
        }
        #expect(read == Array("mine\n".utf8))
    }

    /// A file replaced by a FIFO after the walk looked at it is not opened for reading as one (no
    /// hang) and is reported as replaced.
    @Test func aFileReplacedByAFIFOIsReportedNotRead() throws {
        let temp = TemporaryFolder()
        try Tree.write(temp.sub("src/data.bin"), "bytes\n")
        var walker = try SourceWalker(roots: [temp.sub("src")], excludes: [])
        var failure: SystemError?
        while let item = walker.next() {
            guard item.archivePath == "src/data.bin" else { continue }
            try FileManager.default.removeItem(atPath: temp.sub("src/data.bin"))
            #expect(mkfifo(temp.sub("src/data.bin"), 0o644) == 0)
            do { _ = try item.openForReading() } catch { failure = error }
        }
        #expect(failure?.description.contains("replaced") == true, "\(String(describing: failure))")
    }
}

/// FIFOs, sockets and device nodes are recorded (type, mode, device number), never opened, and
/// made again by a root restore.
@Suite struct SpecialFileTests {
    /// makedev(1, 3), /dev/null's number (glibc's encoding: major << 8 | minor for small numbers).
    static let nullDevice: UInt64 = 1 << 8 | 3

    @Test(.enabled(if: getuid() == 0)) func specialFilesAreRecordedAndMadeAgain() throws {
        let temp = TemporaryFolder()
        try Tree.write(temp.sub("ws/plain.txt"), "plain\n")
        #expect(mkfifo(temp.sub("ws/queue"), 0o640) == 0)
        #expect(mknod(temp.sub("ws/null"), S_IFCHR | 0o666, dev_t(Self.nullDevice)) == 0)
        #expect(chmod(temp.sub("ws/null"), 0o666) == 0)  // past the umask
        let listener = try listeningUnixSocket(at: temp.sub("ws/control.sock"))
        defer { close(listener) }

        // Nobody writes to the FIFO: opening it to read would block the backup for good.
        let result = try makeArchive([temp.sub("ws")], at: temp.sub("ws.zip"))
        #expect(result.errors.isEmpty && result.warnings.isEmpty, "\(result.errors) \(result.warnings)")
        #expect(result.specials == 3 && result.files == 1)
        let manifest = try ArchiveReader(path: temp.sub("ws.zip")).manifest()
        let null = try #require(manifest.entries.first { $0.path == "ws/null" })
        #expect(null.type == .characterDevice && null.rdev == Self.nullDevice && null.mode == "0666")
        #expect(manifest.entries.first { $0.path == "ws/queue" }?.type == .fifo)
        #expect(manifest.entries.first { $0.path == "ws/control.sock" }?.type == .socket)

        let restored = try ArchiveExtractor.extract(temp.sub("ws.zip"), to: temp.sub("out"))
        #expect(restored.problems.isEmpty, "\(restored.problems)")
        #expect(restored.specials == 3)
        let queue = try Syscall.lstat(temp.sub("out/ws/queue"))
        #expect(queue.kind == .fifo && queue.permissions == 0o640)
        let device = try Syscall.lstat(temp.sub("out/ws/null"))
        #expect(device.kind == .characterDevice && device.rawDevice == Self.nullDevice)
        #expect(try Syscall.lstat(temp.sub("out/ws/control.sock")).kind == .socket)

        guard let unzip = Tool.require("unzip", package: "unzip") else { return }
        let tested = try Tool.run(unzip, ["-t", temp.sub("ws.zip")])
        #expect(tested.status == 0, "\(tested.stdout)\(tested.stderr)")
    }
}

/// Preallocated and sparse dataset files keep their holes: the backup does not read them and
/// the restore does not write them.
@Suite struct SparseFileTests {
    @Test func holesStayHoles() throws {
        let temp = TemporaryFolder()
        try Syscall.mkdir(temp.sub("ws"), permissions: 0o755)
        let path = temp.sub("ws/shard.bin")
        let fd = try Syscall.open(path, .writeOnly, options: [.create, .exclusive], permissions: 0o644)
        try Syscall.ftruncate(fd, length: 64 << 20, path: path)
        try Array("head".utf8).withUnsafeBytes { try Syscall.pwriteAll(fd, $0, offset: 0, path: path) }
        try Array("tail".utf8).withUnsafeBytes { try Syscall.pwriteAll(fd, $0, offset: 40 << 20, path: path) }
        Syscall.close(fd)
        let original = try Syscall.lstat(path)
        try #require(original.isSparse, "the file system here does not make sparse files")

        let result = try makeArchive([temp.sub("ws")], at: temp.sub("ws.zip"), pieceSize: 1 << 20)
        #expect(result.errors.isEmpty, "\(result.errors)")
        let line = try #require(try ArchiveReader(path: temp.sub("ws.zip")).manifest().entries.first { $0.path == "ws/shard.bin" })
        #expect(line.sparse == true && line.size == 64 << 20)

        let restored = try ArchiveExtractor.extract(temp.sub("ws.zip"), to: temp.sub("out"))
        #expect(restored.problems.isEmpty, "\(restored.problems)")
        let copy = try Syscall.lstat(temp.sub("out/ws/shard.bin"))
        #expect(copy.size == 64 << 20)
        #expect(copy.blocks * 512 < 1 << 20, "the restored file takes \(copy.blocks * 512) bytes on disk")
        let bytes = try #require(FileManager.default.contents(atPath: temp.sub("out/ws/shard.bin")))
        #expect(bytes.prefix(4) == Data("head".utf8) && bytes[(40 << 20)..<(40 << 20) + 4] == Data("tail".utf8))
        #expect(bytes.count == 64 << 20)
        #expect(bytes[4..<(40 << 20)].allSatisfy { $0 == 0 })
    }
}
