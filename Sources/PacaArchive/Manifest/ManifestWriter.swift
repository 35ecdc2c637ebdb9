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
        var line = "{\"format\":\"\(Manifest.formatName)\",\"version\":\(Manifest.currentVersion)"
        line += ",\"backup_id\":" + JSONText.quoted(header.backupID)
        line += ",\"set\":" + (header.setName.map(JSONText.quoted) ?? "null")
        line += ",\"created_at\":" + JSONText.quoted(CivilTime(unixSeconds: header.createdAt).rfc3339)
        line += ",\"parent\":" + (header.parent.map(JSONText.quoted) ?? "null")
        line += ",\"entries\":[\n"
        try spool.append(Array(line.utf8))
    }

    /// Adds one entry, on a line of its own.
    func add(_ entry: Manifest.Entry) throws(SystemError) {
        var line = count == 0 ? "" : ",\n"
        line += "{\"path\":" + JSONText.quoted(entry.path)
        line += ",\"type\":\"\(entry.type.rawValue)\",\"size\":\(entry.size),\"mode\":\"\(entry.mode)\",\"mtime\":\(entry.mtime)"
        if let value = entry.mtimeNanoseconds { line += ",\"mtime_ns\":\(value)" }
        if let value = entry.ctimeNanoseconds { line += ",\"ctime_ns\":\(value)" }
        if let value = entry.uid { line += ",\"uid\":\(value)" }
        if let value = entry.gid { line += ",\"gid\":\(value)" }
        if let value = entry.rdev { line += ",\"rdev\":\(value)" }
        if entry.sparse == true { line += ",\"sparse\":true" }
        if let value = entry.device { line += ",\"dev\":\(value)" }
        if let value = entry.inode { line += ",\"ino\":\(value)" }
        if let sha256 = entry.sha256 { line += ",\"sha256\":\"\(sha256)\"" }
        if let target = entry.target { line += ",\"target\":" + JSONText.quoted(target) }
        if let holder = entry.holder { line += ",\"in\":" + JSONText.quoted(holder) }
        if let link = entry.link { line += ",\"link\":" + JSONText.quoted(link) }
        if entry.partial == true { line += ",\"partial\":true" }
        if let parts = entry.parts { line += ",\"parts\":[" + parts.map { "\"" + $0 + "\"" }.joined(separator: ",") + "]" }
        if let segments = entry.segments {
            line += ",\"segments\":["
            line += segments.map { segment in
                var text = "{"
                if let holder = segment.holder { text += "\"in\":" + JSONText.quoted(holder) + "," }
                return text + "\"entry\":" + JSONText.quoted(segment.entry) + ",\"at\":\(segment.offset),\"size\":\(segment.size)}"
            }.joined(separator: ",")
            line += "]"
        }
        line += "}"
        try spool.append(Array(line.utf8))
        count += 1
        if entry.type == .file && !entry.isPart { bytes += entry.size }
    }

    /// Closes the JSON document; the spool then holds the whole manifest.
    func finish(references: [String]) throws(SystemError) {
        var line = "\n],\"kind\":\"\(references.isEmpty ? "full" : "incremental")\""
        line += ",\"references\":[" + references.map(JSONText.quoted).joined(separator: ",") + "]"
        line += ",\"entry_count\":\(count),\"bytes\":\(bytes)}\n"
        try spool.append(Array(line.utf8))
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
