public import PacaFiles
public import PacaProtocol

/// `/backups/ID`: one backup's record, its deliveries, the actions the viewer's role allows, and
/// its files as a tree, one folder at a time from the file index.
public struct BackupPage: Sendable {
    /// The folder shown, from the file index; nil when the index does not hold the backup.
    public struct Tree: Sendable {
        public var directory: String
        public var entries: [IndexedEntry]
        /// The name to go on from when the folder has more entries than shown.
        public var next: String?

        public init(directory: String, entries: [IndexedEntry], next: String?) {
            self.directory = directory
            self.entries = entries
            self.next = next
        }
    }

    public var backup: Backup
    public var tree: Tree?
    /// Why there is no tree, when there is none.
    public var treeProblem: String?
    /// The set's backup before this one in the index, for "what changed".
    public var previous: String?
    public var viewer: Viewer

    public init(backup: Backup, tree: Tree?, treeProblem: String?, previous: String?, viewer: Viewer) {
        self.backup = backup
        self.tree = tree
        self.treeProblem = treeProblem
        self.previous = previous
        self.viewer = viewer
    }

    public func html(notice: Notice? = nil) -> HTML {
        Layout.page("Backup \(backup.id)", section: .backups, viewer: viewer, notice: notice, body: facts + actions + deliveries + files)
    }

    var link: String { "/backups/\(URLText.component(backup.id))" }

    var facts: HTML {
        var rows: [(String, HTML)] = [
            ("Set", "<a href=\"/backups?set=\(URLText.component(backup.set))\">\(backup.set)</a>"),
            ("Status", badge(backup.status) + (backup.error.map { " \($0)" as HTML } ?? .empty)),
            ("Kind", "\(backup.type.rawValue)\(backup.base.map { ", compared with \($0)" } ?? "")"),
            ("Trigger", "\(backup.trigger)\(backup.reason.map { ": \($0)" } ?? "")"),
            ("Started", "\(Format.time(backup.startedAt))"),
            ("Finished", "\(Format.time(backup.finishedAt))"),
            ("Files", "\(backup.files) (\(backup.changed) changed while read; \(backup.filesReferenced) held by earlier archives)"),
            ("Protects", "\(Format.bytes(Int64(clamping: backup.bytesIn)))"),
            ("Archive", "\(Format.bytes(Int64(clamping: backup.bytesStored)))\(backup.sealed ? " · sealed with age" : "")"),
            ("SHA-256", "<span class=\"mono\">\(backup.sha256 ?? "-")</span>"),
            ("Pinned", backup.pinned ? "yes: retention keeps it" : "no"),
            ("Verified", "\(backup.verified.map { $0 ? "yes" : "FAILED" } ?? "not yet") \(Format.time(backup.verifiedAt))"),
        ]
        if let checkpoint = backup.checkpoint {
            rows.append(("Checkpoint", "<span class=\"mono\">\(checkpoint)</span>\(backup.step.map { " · step \($0)" } ?? "")"))
        }
        if let metrics = backup.metrics?.values, !metrics.isEmpty {
            rows.append(
                (
                    "Metrics",
                    HTML(raw: metrics.sorted { $0.key < $1.key }.map { "\(HTML.escape($0.key)) = \($0.value)" }.joined(separator: ", "))
                ))
        }
        if !backup.unreadable.isEmpty { rows.append(("Unreadable", backup.unreadable.html { "<div class=\"bad\">\($0)</div>" })) }
        return "<dl class=\"facts\">" + rows.html { "<dt>\($0.0)</dt><dd>\($0.1)</dd>" } + "</dl>"
    }

    var actions: HTML {
        guard viewer.mayOperate, backup.status != .running else { return .empty }
        let pin: HTML = """
            <form class="inline" method="post" action="\(link)/pin"><input type="hidden" name="pinned" value="\(backup.pinned ? "false" : "true")">\
            <button type="submit">\(backup.pinned ? "Unpin" : "Pin")</button></form>
            """
        let verify: HTML = """
            <form class="inline" method="post" action="\(link)/verify"><button type="submit">Verify</button></form>
            """
        let compare: HTML =
            previous.map {
                "<a href=\"/diff?from=\(URLText.component($0))&amp;to=\(URLText.component(backup.id))\">What changed since the previous backup</a>"
            } ?? .empty
        let restore: HTML =
            viewer.isAdmin
            ? """
            <form method="post" action="\(link)/restore" class="restore">
            Restore <input type="text" name="path" placeholder="everything, or a path in the backup" aria-label="path in the backup"> \
            into <input type="text" name="destination" placeholder="/srv/restored" aria-label="destination folder" required> \
            <button type="submit">Restore</button> <span class="muted">on pacad's machine, written with pacad's own rights (admins only)</span>
            </form>
            """
            : """
            <p>To restore as yourself (your files, where you may write), run on pacad's machine: \
            <code>pacactl restore \(backup.id) --to DESTINATION</code></p>
            """
        return "<h2>Actions</h2><p>\(verify) \(pin) \(compare)</p>\(restore)"
    }

    var deliveries: HTML {
        let rows = backup.deliveries.html { delivery in
            """
            <tr><td>\(delivery.target)</td><td>\(delivery.status.rawValue)</td><td class="mono">\(delivery.location)</td>
            <td>\(Format.time(delivery.deliveredAt))</td><td>\(delivery.error ?? "")</td></tr>
            """
        }
        return """
            <h2>Copies</h2><table id="deliveries"><thead><tr><th>Target</th><th>Status</th><th>Where</th><th>Delivered</th><th>Problem</th></tr></thead>
            <tbody>\(rows)</tbody></table>
            """
    }

    /// Downloads are restores (`restore.open`, role operate) of archives pacad can read.
    var downloads: Bool { viewer.mayOperate && !backup.sealed && backup.status != .running }

    var files: HTML {
        guard let tree else { return "<h2>Files</h2><p class=\"muted\">\(treeProblem ?? "The file index does not hold this backup.")</p>" }
        var crumbs: HTML = "<a href=\"\(link)\">top</a>"
        var walked = ""
        for part in tree.directory.split(separator: "/") {
            walked += walked.isEmpty ? String(part) : "/" + part
            crumbs = crumbs + " / <a href=\"\(link)?dir=\(URLText.component(walked))\">\(String(part))</a>"
        }
        let rows = tree.entries.html { entry in
            let name: HTML =
                entry.kind == .directory
                ? "<a href=\"\(link)?dir=\(URLText.component(entry.path))\">\(entry.name)/</a>"
                : "\(entry.name)\(entry.target.map { " → \($0)" } ?? "")"
            let history = "/history?set=\(URLText.component(backup.set))&path=\(URLText.component(entry.path))"
            let download: HTML = downloads ? " <a href=\"\(link)/download?path=\(URLText.component(entry.path))\" download>zip</a>" : .empty
            return """
                <tr><td>\(name)</td><td class="num">\(entry.kind == .file ? Format.bytes(Int64(clamping: entry.size)) : "")</td>
                <td class="mono">\(entry.sha256.map { String($0.prefix(16)) } ?? "")</td>
                <td>\(Format.time(Timestamp(unixSeconds: entry.mtime)))</td>
                <td><a href="\(history)">history</a>\(download)</td></tr>
                """
        }
        let more: HTML =
            tree.next.map {
                "<div class=\"pager\"><a href=\"\(link)?dir=\(URLText.component(tree.directory))&amp;after=\(URLText.component($0))\">more →</a></div>"
            } ?? .empty
        let whole: HTML =
            backup.sealed
            ? " · <span class=\"muted\">sealed with age: pacad cannot read it, so it offers no download</span>"
            : downloads
                ? " · <a href=\"\(link)/download?path=\(URLText.component(tree.directory))\" download>download this folder as ZIP</a>"
                : .empty
        return """
            <h2>Files</h2><p class="tree-path">\(crumbs)\(whole)</p>
            <table id="files"><thead><tr><th>Name</th><th class="num">Size</th><th>SHA-256</th><th>Modified</th><th></th></tr></thead>
            <tbody>\(rows)</tbody></table>\(more)
            """
    }
}
