public import PacaCore
public import PacaProtocol

/// `/events`: what the scheduler did, newest first; for admins also the audit log's newest lines
/// (who called what through the socket or the dashboard, and how it went).
public struct EventsPage: Sendable {
    public var events: [JobEvent]
    /// Audit lines, newest first; nil when the viewer is no admin.
    public var audit: [JSONValue]?
    public var viewer: Viewer

    public init(events: [JobEvent], audit: [JSONValue]?, viewer: Viewer) {
        self.events = events
        self.audit = audit
        self.viewer = viewer
    }

    public func html() -> HTML {
        let rows = events.html { event in
            let backup: HTML = event.backup.map { "<a class=\"mono\" href=\"/backups/\(URLText.component($0))\">\($0)</a>" } ?? .empty
            return
                "<tr><td>\(Format.time(event.time))</td><td>\(event.job)</td><td>\(event.kind.rawValue)</td><td>\(backup)</td><td>\(event.detail ?? "")</td></tr>"
        }
        var body: HTML = """
            <h2>Scheduler</h2><table id="events"><thead><tr><th>Time</th><th>Job</th><th>What</th><th>Backup</th><th>Detail</th></tr></thead>
            <tbody>\(rows)</tbody></table>
            """
        if let audit {
            let lines = audit.html { line in
                func text(_ key: String) -> String {
                    switch line[key] {
                    case .string(let value)?: value
                    case .int(let value)?: String(value)
                    case .double(let value)?: String(value)
                    default: ""
                    }
                }
                let who = text("user").isEmpty ? "uid \(text("uid"))" : "\(text("user")) (uid \(text("uid")))"
                let via = text("comm") == "dashboard" ? " · dashboard" : ""
                return """
                    <tr><td>\(text("seq"))</td><td>\(text("time"))</td><td>\(who)\(via)</td><td class="mono">\(text("method"))</td>\
                    <td class="\(text("outcome") == "ok" ? "" : "bad")">\(text("outcome"))</td><td class="num">\(text("ms"))</td></tr>
                    """
            }
            body =
                body + """
                    <h2>Audit log</h2><p class="muted">The newest lines; <code>pacactl audit list</code> filters and pages through all of them.</p>
                    <table id="audit"><thead><tr><th>#</th><th>Time</th><th>Caller</th><th>Method</th><th>Outcome</th><th class="num">ms</th></tr></thead>
                    <tbody>\(lines)</tbody></table>
                    """
        }
        return Layout.page(viewer.isAdmin ? "Events and audit log" : "Events", section: .events, viewer: viewer, body: body)
    }
}
