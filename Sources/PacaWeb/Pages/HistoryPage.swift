public import PacaFiles
import PacaProtocol

/// `/history?set=S&path=P`: every version of one path across the set's backups: when it
/// appeared, each change of size or digest, when it went.
public struct HistoryPage: Sendable {
    public var set: String
    public var path: String
    /// Newest first.
    public var versions: [PathVersion]
    /// The sequence to page on from, when there are older versions.
    public var next: Int64?
    /// Backups the catalog still has, so a pruned one is shown as such.
    public var existing: Set<String>
    public var viewer: Viewer

    public init(set: String, path: String, versions: [PathVersion], next: Int64?, existing: Set<String>, viewer: Viewer) {
        self.set = set
        self.path = path
        self.versions = versions
        self.next = next
        self.existing = existing
        self.viewer = viewer
    }

    public func html() -> HTML {
        // Each version beside the one before it (the next in the list), newest first.
        let paired = versions.enumerated().map { index, version in (version, index + 1 < versions.count ? versions[index + 1].entry : nil) }
        let rows = paired.html { version, before in
            let backup: HTML =
                existing.contains(version.backupID)
                ? "<a class=\"mono\" href=\"/backups/\(URLText.component(version.backupID))\">\(version.backupID)</a>"
                : "<span class=\"mono muted\">\(version.backupID.isEmpty ? "?" : version.backupID)</span> <span class=\"muted\">(pruned)</span>"
            let entry = version.entry
            var size = entry.map { Format.bytes(Int64(clamping: $0.size)) } ?? "-"
            if let entry, let before, before.size != entry.size {
                let delta = Int64(clamping: entry.size) - Int64(clamping: before.size)
                size += " (\(delta > 0 ? "+" : "−")\(Format.bytes(abs(delta))))"
            }
            return """
                <tr data-version="\(version.sequence)"><td>\(backup)</td><td class="\(version.change.rawValue)">\(version.change.rawValue)</td>
                <td class="num">\(size)</td><td class="mono">\(entry?.sha256 ?? entry?.target ?? "-")</td>
                <td>\(entry.map { Format.time(Timestamp(unixSeconds: $0.mtime)) } ?? "-")</td></tr>
                """
        }
        let more: HTML =
            next.map {
                "<div class=\"pager\"><a href=\"/history?set=\(URLText.component(set))&amp;path=\(URLText.component(path))&amp;before=\($0)\">older →</a></div>"
            } ?? .empty
        return Layout.page(
            "History of \(path)", section: .backups, viewer: viewer,
            body: """
                <p>Set <a href="/backups?set=\(URLText.component(set))">\(set)</a>. Each row is a backup in which \
                this path first had new contents (or went away); the backups between hold the row above it. Newest first.</p>
                <table id="history"><thead><tr><th>Backup</th><th>Change</th><th class="num">Size</th><th>SHA-256</th><th>Modified</th></tr></thead>
                <tbody>\(rows)</tbody></table>\(more)
                """)
    }
}
