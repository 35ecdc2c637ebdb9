import ArgumentParser
import PacaArchive
import PacaClient
import PacaCore
import PacaSystem

struct ArchiveListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List the entries of an archive."
    )

    @Argument(help: "The archive to list.")
    var file: String

    @OptionGroup var keys: IdentityOptions

    @OptionGroup var outputOptions: ArchiveOutputOptions

    struct Listing: Encodable {
        var archive: String
        var entries: [Entry]
        var files: Int
        var bytes: UInt64
        var bytesStored: UInt64

        struct Entry: Encodable {
            var path: String
            var type: String
            var size: UInt64
            var compressedSize: UInt64
            var mode: String
            var mtime: Int64
            var method: String
            var crc32: UInt32
            /// For an incremental backup's file whose bytes another archive holds: that backup.
            var holder: String?
            /// For another name of a hard-linked file: its first name.
            var link: String?
            /// For a file put together from parts: where each run of its bytes is.
            var segments: [Manifest.Segment]?
            enum CodingKeys: String, CodingKey {
                case path, type, size, mode, mtime, method, crc32, link, segments
                case compressedSize = "compressed_size"
                case holder = "in"
            }
        }
        enum CodingKeys: String, CodingKey {
            case archive, entries, files, bytes
            case bytesStored = "bytes_stored"
        }
    }

    func run() throws {
        let reader: ArchiveReader
        let identities = try keys.identities()
        do { reader = try ArchiveReader(source: try openArchive(file, identities: identities)) } catch {
            throw fail(error.description, ExitStatus(error))
        }
        let entries = reader.entries
        // The manifest's files this archive does not hold: referenced, or other names of hard links.
        let elsewhere =
            entries.contains { $0.path == Manifest.entryPath }
            ? ((try? reader.manifest())?.entries.filter { $0.type == .file && !$0.isHeldHere } ?? []) : []
        if outputOptions.json {
            var listed = entries.map {
                Listing.Entry(
                    path: $0.path, type: $0.kind.rawValue, size: $0.size, compressedSize: $0.compressedSize,
                    mode: octal($0.mode), mtime: $0.modificationTime, method: $0.method.description, crc32: $0.crc32)
            }
            listed += elsewhere.map {
                Listing.Entry(
                    path: $0.path, type: $0.type.rawValue, size: $0.size, compressedSize: 0, mode: $0.mode, mtime: $0.mtime,
                    method: "none", crc32: 0, holder: $0.holder, link: $0.link, segments: $0.segments)
            }
            let files = entries.filter { $0.kind == .file }
            try printJSON(
                Listing(
                    archive: file, entries: listed, files: files.count, bytes: files.reduce(0) { $0 + $1.size },
                    bytesStored: reader.fileSize))
            return
        }
        for entry in entries {
            let time = CivilTime(unixSeconds: entry.modificationTime)
            let when = "\(time.rfc3339.prefix(10)) \(time.rfc3339.dropFirst(11).prefix(5))"
            let size = String(entry.size)
            print(
                "\(permissions(entry)) \(String(repeating: " ", count: max(0, 12 - size.count)))\(size)  \(when)  \(NameBytes.display(entry.path))\(entry.kind == .directory ? "/" : "")"
            )
        }
        for line in elsewhere {
            let time = CivilTime(unixSeconds: line.mtime)
            let when = "\(time.rfc3339.prefix(10)) \(time.rfc3339.dropFirst(11).prefix(5))"
            let size = String(line.size)
            let mark: String
            if let first = line.link {
                mark = "(hard link to \(first))"
            } else if let segments = line.segments {
                let here = segments.filter { $0.holder == nil }.reduce(0) { $0 + $1.size }
                let others = line.holders
                mark = "(in parts: \(here) bytes here" + (others.isEmpty ? ")" : ", the rest in \(others.joined(separator: ", ")))")
            } else {
                mark = "(in \(line.holder ?? "?"))"
            }
            print(
                "-\(rwx(line.permissions ?? 0)) \(String(repeating: " ", count: max(0, 12 - size.count)))\(size)  \(when)  \(NameBytes.display(line.path))  \(mark)"
            )
        }
        if !elsewhere.isEmpty {
            print(
                "\(elsewhere.count) file(s) marked (in ...) or (hard link ...) are in the manifest only: this archive does not hold all their bytes"
            )
        }
    }

    private func octal(_ mode: UInt32) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    private func permissions(_ entry: ArchiveEntry) -> String {
        let type: Character =
            switch entry.kind {
            case .file: "-"
            case .directory: "d"
            case .symlink: "l"
            case .fifo: "p"
            case .socket: "s"
            case .characterDevice: "c"
            case .blockDevice: "b"
            }
        return String(type) + rwx(entry.mode)
    }

    private func rwx(_ mode: UInt32) -> String {
        var text = ""
        let letters: [Character] = ["r", "w", "x"]
        for shift in stride(from: 6, through: 0, by: -3) {
            for (i, letter) in letters.enumerated() {
                text.append(mode >> UInt32(shift + 2 - i) & 1 == 1 ? letter : "-")
            }
        }
        return text
    }
}
