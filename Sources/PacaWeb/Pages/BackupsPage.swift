public import PacaProtocol

/// `/backups`: the catalog with the filter language in a search box (as `pacactl backup list
/// --where`), newest first, a page at a time.
public struct BackupsPage: Sendable {
    public var backups: [Backup]
    public var filter: String
    public var set: String?
    public var offset: Int64
    public var nextOffset: Int64?
    public static let pageSize: Int64 = 50
    public var viewer: Viewer

    public init(backups: [Backup], filter: String, set: String?, offset: Int64, nextOffset: Int64?, viewer: Viewer) {
        self.backups = backups
        self.filter = filter
        self.set = set
        self.offset = offset
        self.nextOffset = nextOffset
        self.viewer = viewer
    }

    public func html(error: String? = nil) -> HTML {
        let search: HTML = """
            <form class="search" method="get" action="/backups">
            <input type="search" name="where" value="\(filter)" placeholder="status = &quot;complete&quot; and bytes_in &gt; 1GB" aria-label="filter">
            \(set.map { "<input type=\"hidden\" name=\"set\" value=\"\($0)\">" } ?? .empty)
            <button type="submit">Search</button> <span class="muted">fields as in <code>pacactl backup show</code>; \
            e.g. <code>trigger = "checkpoint" and metrics.eval_loss &lt; 0.4</code></span>
            </form>
            """
        let problem: HTML = error.map { "<p class=\"notice bad\" role=\"alert\">\($0)</p>" } ?? .empty
        let rows = backups.html { backup in
            let duration = backup.finishedAt.map { Format.duration($0.unixSeconds - backup.startedAt.unixSeconds) } ?? "-"
            return """
                <tr><td><a class="mono" href="/backups/\(URLText.component(backup.id))">\(backup.id)</a>\(backup.pinned ? " 📌" : "")</td>
                <td>\(backup.set)</td><td>\(badge(backup.status))</td><td>\(backup.type.rawValue)</td><td>\(backup.trigger)</td>
                <td>\(Format.time(backup.startedAt))</td><td class="num">\(duration)</td><td class="num">\(backup.files)</td>
                <td class="num">\(Format.bytes(Int64(clamping: backup.bytesIn)))</td><td class="num">\(Format.bytes(Int64(clamping: backup.bytesStored)))</td></tr>
                """
        }
        let query = { (offset: Int64) in
            URLText.query([("where", filter.isEmpty ? nil : filter), ("set", set), ("offset", String(offset))])
        }
        let previous: HTML = offset > 0 ? "<a href=\"/backups\(query(max(0, offset - Self.pageSize)))\">← newer</a>" : .empty
        let next: HTML = nextOffset.map { "<a href=\"/backups\(query($0))\">older →</a>" } ?? .empty
        let title = set.map { "Backups of \($0)" } ?? "Backups"
        return Layout.page(
            title, section: .backups, viewer: viewer,
            body: """
                \(search)\(problem)
                <table id="backups"><thead><tr><th>Backup</th><th>Set</th><th>Status</th><th>Kind</th><th>Trigger</th><th>Started</th>\
                <th class="num">Took</th><th class="num">Files</th><th class="num">Protects</th><th class="num">Archive</th></tr></thead>
                <tbody>\(rows)</tbody></table>
                <div class="pager">\(previous)\(next)<span class="muted">\(backups.isEmpty ? "no backups match" : "\(offset + 1)–\(offset + Int64(backups.count))")</span></div>
                """)
    }
}
