import Foundation
import PacaArchive
import PacaCore
import PacaSystem

/// The ZIP reader on damaged archives. Each input is a copy of a known archive with a few
/// changes (bytes flipped anywhere or in the directory and manifest at its end, length fields
/// set to extremes, a cut, a span removed or repeated), verified and then extracted with the
/// catalog's manifest digest, as pacad restores. Properties:
///
/// * nothing is written outside the destination;
/// * no file is written with content other than the original's under that name, and no symbolic
///   link with another target: damage is refused, never restored;
/// * when verify calls the archive good (and its manifest is the original), the extraction
///   restores every file.
///
/// An archive written by Info-ZIP's `zip` (no manifest: the whole-archive path) is fuzzed
/// too when `zip` is installed; there only the first property is claimed, since without a
/// manifest a CRC-32 is all that protects the content.
final class ZipFuzzer {
    struct Base {
        var name: String
        var bytes: [UInt8]
        /// Relative path bytes to a regular file's content or a symlink's target.
        var files: [[UInt8]: [UInt8]]
        var links: [[UInt8]: [UInt8]]
        var manifestSha256: String?
    }

    let work: String
    var bases: [Base] = []

    init(work: String) throws {
        self.work = work
        try? DurableFile.removeTree(work)
        try DurableFile.makeDirectories(work + "/src/tree/deep/er", permissions: 0o755)
        var r = Random(seed: 2026)
        let files: [(String, [UInt8])] = [
            ("tree/config.yaml", Array("lr: 0.001\nbatch: 64\nepochs: 3\n".utf8)),
            ("tree/log.txt", Array(String(repeating: "step 100 loss 0.31 학습\n", count: 400).utf8)),
            ("tree/empty", []),
            ("tree/blob.bin", r.bytes(3_000)),
            ("tree/deep/er/weights.pt", r.bytes(20_000) + [UInt8](repeating: 0, count: 9_000)),
            ("tree/deep/notes.md", Array("# run 42\n".utf8)),
        ]
        for (name, content) in files {
            try Syscall.writeFile(work + "/src/" + name, content)
        }
        var odd = SystemPath(work + "/src/tree/")
        odd.bytes += [0x63, 0x61, 0x66, 0xE9, 0x2E, 0x74, 0x78, 0x74]  // "caf\xe9.txt", Latin-1
        try Syscall.writeFile(odd, Array("not utf-8\n".utf8))
        try Syscall.symlink(target: Array("deep/notes.md".utf8), at: work + "/src/tree/link")
        try Syscall.link(work + "/src/tree/config.yaml", at: work + "/src/tree/config-copy.yaml")
        try DurableFile.makeDirectories(work + "/src/tree/empty-folder", permissions: 0o700)
        // Fixed times, so the archive and every damaged copy are the same bytes in every run.
        for name in files.map(\.0) + ["tree/empty-folder", "tree/deep/er", "tree/deep", "tree"] {
            try Syscall.setModificationTime(work + "/src/" + name, seconds: 1_796_000_000, followSymlinks: false)
        }
        try Syscall.setModificationTime(odd, seconds: 1_796_000_000, followSymlinks: false)
        try Syscall.setModificationTime(work + "/src/tree/link", seconds: 1_796_000_000, followSymlinks: false)

        let created = try ArchiveCreator.create(
            sources: [work + "/src/tree"], at: work + "/pacad.zip",
            header: ManifestHeader(backupID: "20261205-000000-fuzz", setName: "fuzz", createdAt: 1_796_000_000),
            options: CreationOptions(level: 6, threads: 2, pieceSize: 64 << 10))
        let (regular, links) = try Self.snapshot(work + "/src")
        let check = try ArchiveVerifier.verify(work + "/pacad.zip")
        bases.append(
            Base(
                name: "pacad", bytes: try Self.read(work + "/pacad.zip"), files: regular, links: links,
                manifestSha256: check.manifestSha256))
        _ = created
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/zip") {
            let zip = Process()
            zip.executableURL = URL(fileURLWithPath: "/usr/bin/zip")
            zip.currentDirectoryURL = URL(fileURLWithPath: work + "/src")
            zip.arguments = ["-q", "-r", "-y", work + "/infozip.zip", "tree"]
            try zip.run()
            zip.waitUntilExit()
            if zip.terminationStatus == 0 {
                bases.append(
                    Base(name: "infozip", bytes: try Self.read(work + "/infozip.zip"), files: regular, links: links, manifestSha256: nil))
            }
        }
    }

    static func read(_ path: String) throws -> [UInt8] {
        guard let bytes = try DurableFile.read(path) else { throw Violation("\(path) is missing") }
        return bytes
    }

    /// Every regular file's content and every symlink's target under `root`, by relative path.
    static func snapshot(_ root: String) throws -> (files: [[UInt8]: [UInt8]], links: [[UInt8]: [UInt8]]) {
        var files: [[UInt8]: [UInt8]] = [:]
        var links: [[UInt8]: [UInt8]] = [:]
        func walk(_ path: SystemPath, _ relative: [UInt8]) throws {
            for entry in try Syscall.entries(of: path) {
                let child = path.appending(entry.name)
                let name = relative.isEmpty ? entry.name : relative + [0x2F] + entry.name
                switch try Syscall.lstat(child).kind {
                case .directory: try walk(child, name)
                case .symlink: links[name] = try Syscall.readlink(child)
                case .regular: files[name] = try DurableFile.read(child, limit: 1 << 30) ?? []
                default: files[name] = [0xFF, 0xFE]  // never in a base tree: a special file is a violation
                }
            }
        }
        try walk(SystemPath(root), [])
        return (files, links)
    }

    func mutate(_ original: [UInt8], _ r: inout Random) -> [UInt8] {
        var bytes = original
        for _ in 0..<(1 + r.below(2)) {
            guard !bytes.isEmpty else { break }
            // Half the changes land in the last quarter: the central directory and the manifest.
            let tail = r.chance(50)
            let low = tail ? bytes.count * 3 / 4 : 0
            let at = low + r.below(bytes.count - low)
            switch r.below(7) {
            case 0, 1:
                for _ in 0..<(1 + r.below(8)) {
                    let spot = min(bytes.count - 1, at + r.below(64))
                    bytes[spot] ^= UInt8(truncatingIfNeeded: 1 + r.below(255))
                }
            case 2:
                let width = r.chance(50) ? 2 : 4
                let value: UInt64 = r.pick([0, 0xFFFF_FFFF, 0x7FFF_FFFF, UInt64(r.below(100_000)), r.next()])
                for k in 0..<width where at + k < bytes.count { bytes[at + k] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(k))) }
            case 3: bytes = Array(bytes.prefix(at))
            case 4: bytes.removeSubrange(at..<min(bytes.count, at + 1 + r.below(200)))
            case 5:
                let span = Array(bytes[at..<min(bytes.count, at + 1 + r.below(300))])
                bytes.insert(contentsOf: span, at: r.below(bytes.count))
            default: bytes += r.bytes(1 + r.below(100))
            }
        }
        return bytes
    }

    /// One damaged archive through verify and extract; throws a violation of the properties.
    @discardableResult
    func run(_ r: inout Random, input: Int) throws -> Bool {
        let base = bases[r.below(bases.count)]
        let damaged = mutate(base.bytes, &r)
        let sandbox = work + "/in-\(input % 4)"
        try? DurableFile.removeTree(sandbox)
        try DurableFile.makeDirectories(sandbox + "/out", permissions: 0o755)
        try Syscall.writeFile(sandbox + "/a.zip", damaged)
        let verified = try? ArchiveVerifier.verify(sandbox + "/a.zip", threads: 1)
        let options = ExtractionOptions(threads: 2, restoresOwnership: false, manifestSha256: base.manifestSha256)
        let extracted = try? ArchiveExtractor.extract(sandbox + "/a.zip", to: sandbox + "/out/dest", options: options)
        let what = "\(base.name) archive"
        // Only a.zip and out/dest may exist in the sandbox.
        let top = try Syscall.entries(of: sandbox).map(\.name).sorted { $0.lexicographicallyPrecedes($1) }
        guard top == [Array("a.zip".utf8), Array("out".utf8)] else {
            throw Violation("\(what): extraction wrote beside its destination: \(top.map { show($0) })")
        }
        let out = try Syscall.entries(of: sandbox + "/out").map(\.name)
        guard out.isEmpty || out == [Array("dest".utf8)] else { throw Violation("\(what): extraction wrote beside its destination") }
        guard !out.isEmpty else { return false }
        let (files, links) = try Self.snapshot(sandbox + "/out/dest")
        for (name, content) in files {
            if base.manifestSha256 == nil && base.files[name] == nil { continue }
            if name.starts(with: Array(".paca-".utf8))
                || name.contains(0x2F) && name.split(separator: 0x2F).last!.starts(with: Array(".paca-".utf8))
            {
                throw Violation("\(what): a temporary file \(show(name)) was left behind")
            }
            guard base.manifestSha256 == nil || base.files[name] == content else {
                throw Violation("\(what): \(show(name)) was restored with content that is not the original's (\(content.count) bytes)")
            }
        }
        if base.manifestSha256 != nil {
            for (name, target) in links where base.links[name] != target {
                throw Violation("\(what): symlink \(show(name)) was restored pointing at \(show(target))")
            }
        }
        if let verified, verified.isValid, verified.manifestSha256 == base.manifestSha256, base.manifestSha256 != nil {
            guard let extracted, extracted.problems.isEmpty, files.count == base.files.count, links.count == base.links.count else {
                throw Violation(
                    "\(what): verify called it good, but the extraction restored \(files.count) of \(base.files.count) files: \(extracted?.problems.first.map { "\($0)" } ?? "failed")"
                )
            }
            return true
        }
        return false
    }
}

extension Syscall {
    /// Writes `bytes` to a new file at `path` (replacing one there).
    static func writeFile(_ path: some SystemPathConvertible, _ bytes: [UInt8]) throws {
        let fd = try open(path, .writeOnly, options: [.create, .truncate], permissions: 0o644)
        defer { close(fd) }
        try writeAll(fd, bytes, path: path)
    }
}
