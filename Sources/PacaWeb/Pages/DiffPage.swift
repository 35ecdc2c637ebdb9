public import PacaFiles
public import PacaProtocol

/// `/diff?from=A&to=B`: the paths that differ between two backups of a set.
public struct DiffPage: Sendable {
    public var from: Backup
    public var to: Backup
    public var changes: [PathChange]
    public var next: Int64?
    public var viewer: Viewer

    public init(from: Backup, to: Backup, changes: [PathChange], next: Int64?, viewer: Viewer) {
        self.from = from
        self.to = to
        self.changes = changes
        self.next = next
        self.viewer = viewer
    }

    public func html() -> HTML {
        let rows = changes.html { change in
            let history = "/history?set=\(URLText.component(to.set))&path=\(URLText.component(change.path))"
            let size: HTML =
                switch change.kind {
                case .added: "\(Format.bytes(Int64(clamping: change.after?.size ?? 0)))"
                case .removed: "\(Format.bytes(Int64(clamping: change.before?.size ?? 0)))"
                case .modified:
                    "\(Format.bytes(Int64(clamping: change.before?.size ?? 0))) → \(Format.bytes(Int64(clamping: change.after?.size ?? 0)))"
                }
            let digest: HTML =
                change.kind == .modified
                ? "\(String((change.before?.sha256 ?? "-").prefix(12))) → \(String((change.after?.sha256 ?? "-").prefix(12)))"
                : "\(String((change.after?.sha256 ?? change.before?.sha256 ?? "-").prefix(12)))"
            return """
                <tr><td class="\(change.kind.rawValue)">\(change.kind.rawValue)</td><td class="mono"><a href="\(history)">\(change.path)</a></td>
                <td class="num">\(size)</td><td class="mono">\(digest)</td></tr>
                """
        }
        let more: HTML =
            next.map {
                "<div class=\"pager\"><a href=\"/diff?from=\(URLText.component(from.id))&amp;to=\(URLText.component(to.id))&amp;after=\($0)\">more →</a></div>"
            } ?? .empty
        let counts = [PathChange.Kind.added, .modified, .removed].map { kind in
            "\(changes.filter { $0.kind == kind }.count) \(kind.rawValue)"
        }
        return Layout.page(
            "What changed in \(to.set)", section: .backups, viewer: viewer,
            body: """
                <p>From <a class="mono" href="/backups/\(URLText.component(from.id))">\(from.id)</a> \
                to <a class="mono" href="/backups/\(URLText.component(to.id))">\(to.id)</a>: \(counts.joined(separator: ", "))\(next == nil ? "" : " on this page").</p>
                <table id="diff"><thead><tr><th>Change</th><th>Path</th><th class="num">Size</th><th>SHA-256</th></tr></thead>
                <tbody>\(rows)</tbody></table>\(more)
                """)
    }
}
