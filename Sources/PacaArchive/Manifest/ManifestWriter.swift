import PacaCore
import PacaSystem

/// Writes the manifest JSON one entry line at a time into a spool file, so that an archive of a
/// million files does not hold a million manifest entries in memory. The text is valid JSON that
/// ``Manifest`` decodes.
final class ManifestWriter {
    private let spool: SpoolFile
    private var count = 0
    private var bytes: UInt64 = 0

    init(spool: SpoolFile, header: ManifestHeader) throws(SystemError) {
        self.spool = spool
        var line = "{\"format\":\"\(Manifest.formatName)\",\"version\":1"
        line += ",\"backup_id\":" + JSONText.quoted(header.backupID)
        line += ",\"set\":" + (header.setName.map(JSONText.quoted) ?? "null")
        line += ",\"created_at\":" + JSONText.quoted(CivilTime(unixSeconds: header.createdAt).rfc3339)
        line += ",\"parent\":" + (header.parent.map(JSONText.quoted) ?? "null")
        line += ",\"entries\":[\n"
        try spool.append(Array(line.utf8))
    }

    /// Adds one entry; `sha256` for files, `target` for symlinks.
    func add(
        path: String, kind: ArchiveEntry.Kind, size: UInt64, mode: UInt32, mtime: Int64, sha256: String?, target: String?, isPartial: Bool
    ) throws(SystemError) {
        var line = count == 0 ? "" : ",\n"
        line += "{\"path\":" + JSONText.quoted(path)
        line += ",\"type\":\"\(kind.rawValue)\",\"size\":\(size),\"mode\":\"\(Self.octal(mode))\",\"mtime\":\(mtime)"
        if let sha256 { line += ",\"sha256\":\"\(sha256)\"" }
        if let target { line += ",\"target\":" + JSONText.quoted(target) }
        if isPartial { line += ",\"partial\":true" }
        line += "}"
        try spool.append(Array(line.utf8))
        count += 1
        if kind == .file { bytes += size }
    }

    /// Closes the JSON document; the spool then holds the whole manifest.
    func finish() throws(SystemError) {
        try spool.append(Array("\n],\"entry_count\":\(count),\"bytes\":\(bytes)}\n".utf8))
    }

    static func octal(_ mode: UInt32) -> String {
        let digits = String(mode & 0o7777, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}

/// JSON string quoting for text written by hand (streamed documents).
enum JSONText {
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
