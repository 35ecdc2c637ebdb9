public import PacaProtocol

/// Who is looking at a page: their name and role, which decide what the page offers.
public struct Viewer: Sendable, Equatable {
    public var name: String
    public var role: Role

    public init(name: String, role: Role) {
        self.name = name
        self.role = role
    }

    public var mayOperate: Bool { role >= .operate }
    public var isAdmin: Bool { role == .admin }
}

/// The frame around every dashboard page: header, navigation, the viewer, sign-out. Everything a
/// page needs comes from pacad itself (no CDN, no inline script or style: the CSP forbids both).
public enum Layout {
    public enum Section: String, Sendable, CaseIterable {
        case overview, backups, charts, events
    }

    public static func page(_ title: String, section: Section?, viewer: Viewer?, notice: Notice? = nil, body: HTML) -> HTML {
        let nav: HTML =
            viewer == nil
            ? .empty
            : Section.allCases.html { item in
                let link = item == .overview ? "/" : "/\(item.rawValue)"
                let label = item == .events && viewer?.isAdmin == true ? "Events & audit" : item.rawValue.capitalized
                return item == section ? "<a class=\"current\" href=\"\(link)\">\(label)</a>" : "<a href=\"\(link)\">\(label)</a>"
            }
        let who: HTML =
            viewer.map { viewer in
                """
                <span class="who">\(viewer.name) · \(viewer.role.rawValue)</span>\
                <form method="post" action="/logout"><button type="submit">Sign out</button></form>
                """
            } ?? .empty
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title) · pacad</title>
            <link rel="stylesheet" href="/assets/pacad.css">
            </head><body>
            <header><a class="brand" href="/">pacad</a><nav>\(nav)</nav><div class="session">\(who)</div></header>
            <main>\(notice.map(\.html) ?? .empty)<h1>\(title)</h1>
            \(body)
            </main></body></html>
            """
    }

    /// The stylesheet at `/assets/pacad.css`.
    public static let stylesheet = """
        :root { --fg: #1d2327; --muted: #5f6b73; --line: #d9dee2; --bg: #f6f7f8; --ok: #1f7a3a; --bad: #b3261e; --warn: #8a5a00; --accent: #2456a6; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
        header { display: flex; align-items: center; gap: 24px; padding: 10px 24px; background: #fff; border-bottom: 1px solid var(--line); }
        header .brand { font-weight: 700; font-size: 17px; color: var(--fg); text-decoration: none; }
        header nav a { margin-right: 16px; color: var(--muted); text-decoration: none; }
        header nav a.current { color: var(--fg); font-weight: 600; border-bottom: 2px solid var(--accent); }
        header .session { margin-left: auto; display: flex; gap: 12px; align-items: center; color: var(--muted); }
        main { padding: 8px 24px 40px; max-width: 1400px; }
        h1 { font-size: 20px; margin: 16px 0 12px; }
        h2 { font-size: 16px; margin: 28px 0 8px; }
        table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
        th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { background: #eef1f3; font-weight: 600; font-size: 12px; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; font-size: 12.5px; }
        a { color: var(--accent); }
        .badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; background: #e8ebee; }
        .ok { color: var(--ok); } .bad { color: var(--bad); } .warn { color: var(--warn); } .muted { color: var(--muted); }
        .badge.ok { background: #e3f3e7; } .badge.bad { background: #fbe5e3; } .badge.warn { background: #fbf0d9; }
        .notice { padding: 10px 14px; margin: 12px 0; border: 1px solid var(--line); background: #fff; }
        .notice.bad { border-color: var(--bad); } .notice.ok { border-color: var(--ok); }
        form.inline { display: inline; }
        button, input[type=submit] { font: inherit; padding: 3px 10px; border: 1px solid var(--line); background: #fff; border-radius: 4px; cursor: pointer; }
        input[type=text], input[type=search] { font: inherit; padding: 4px 8px; border: 1px solid var(--line); border-radius: 4px; }
        .search input[type=search] { width: 480px; }
        .pager { margin: 10px 0; display: flex; gap: 12px; }
        .tree ul { list-style: none; margin: 0; padding-left: 18px; }
        .tree li { padding: 1px 0; }
        .added { color: var(--ok); } .removed { color: var(--bad); } .changed { color: var(--warn); }
        figure { margin: 0; } figcaption { font-weight: 600; margin-bottom: 4px; }
        svg.chart { background: #fff; border: 1px solid var(--line); width: 100%; height: auto; }
        svg.chart .bar { fill: #6b8fd0; } svg.chart .bar.bad { fill: #d36b62; }
        svg.chart text { font-size: 11px; fill: var(--muted); }
        svg.chart line { stroke: var(--line); }
        .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 16px; }
        dl.facts { display: grid; grid-template-columns: max-content auto; gap: 4px 16px; background: #fff; border: 1px solid var(--line); padding: 10px 14px; }
        dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; }
        """
}

/// A line at the top of a page after an action: what happened.
public struct Notice: Sendable, Equatable {
    public var text: String
    public var isError: Bool

    public init(_ text: String, isError: Bool = false) {
        self.text = text
        self.isError = isError
    }

    var html: HTML { "<p class=\"notice \(isError ? "bad" : "ok")\" role=\"status\">\(text)</p>" }
}
