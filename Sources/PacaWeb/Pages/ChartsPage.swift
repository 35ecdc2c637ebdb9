public import PacaProtocol

/// `/charts?set=S`: archive size, data protected, duration and files written over a set's recent
/// backups, as SVG drawn here (no script, no CDN).
public struct ChartsPage: Sendable {
    public var sets: [String]
    public var set: String?
    /// Oldest first.
    public var backups: [Backup]
    public var viewer: Viewer

    public init(sets: [String], set: String?, backups: [Backup], viewer: Viewer) {
        self.sets = sets
        self.set = set
        self.backups = backups
        self.viewer = viewer
    }

    public func html() -> HTML {
        let picker = sets.html { name in
            name == set ? "<b>\(name)</b> " : "<a href=\"/charts?set=\(URLText.component(name))\">\(name)</a> "
        }
        guard set != nil else {
            return Layout.page("Charts", section: .charts, viewer: viewer, body: "<p>Pick a set: \(picker)</p>")
        }
        let charts: [(String, (Backup) -> Double, (Double) -> String)] = [
            ("Archive size (what each backup sent to every target)", { Double($0.bytesStored) }, { Format.bytes(Int64($0)) }),
            ("Data protected", { Double($0.bytesIn) }, { Format.bytes(Int64($0)) }),
            (
                "Duration", { Double(($0.finishedAt?.unixSeconds ?? $0.startedAt.unixSeconds) - $0.startedAt.unixSeconds) },
                { Format.duration(Int64($0)) }
            ),
            ("Bytes read and stored (changed files)", { Double($0.bytesWritten) }, { Format.bytes(Int64($0)) }),
        ]
        let body = charts.html { title, value, label in
            "<figure><figcaption>\(title)</figcaption>\(Self.bars(backups, value: value, label: label))</figure>"
        }
        return Layout.page(
            "Charts of \(set ?? "")", section: .charts, viewer: viewer,
            body:
                "<p>Sets: \(picker) · the last \(backups.count) backups, oldest left; failed ones in red.</p><div class=\"grid\">\(body)</div>"
        )
    }

    /// A bar per backup, scaled to the largest, each with its value and id in a tooltip.
    static func bars(_ backups: [Backup], value: (Backup) -> Double, label: (Double) -> String) -> HTML {
        let width = 640.0, height = 200.0, left = 70.0, bottom = 20.0
        let values = backups.map(value)
        let top = max(values.max() ?? 0, 1)
        let step = (width - left) / Double(max(backups.count, 1))
        let bars = zip(backups, values).enumerated().html { index, pair in
            let (backup, value) = pair
            let barHeight = (height - bottom) * value / top
            let x = left + Double(index) * step
            let failed = backup.status != .complete && backup.status != .partial
            return """
                <a href="/backups/\(URLText.component(backup.id))"><rect class="bar\(failed ? " bad" : "")" x="\(Self.number(x))" \
                y="\(Self.number(height - bottom - barHeight))" width="\(Self.number(max(step * 0.8, 1)))" height="\(Self.number(max(barHeight, 0.5)))">\
                <title>\(backup.id): \(label(value))</title></rect></a>
                """
        }
        let axis: HTML = """
            <line x1="\(Self.number(left))" y1="\(Self.number(height - bottom))" x2="\(Self.number(width))" y2="\(Self.number(height - bottom))"/>
            <text x="0" y="12">\(label(top))</text><text x="0" y="\(Self.number(height - bottom))">0</text>
            <text x="\(Self.number(left))" y="\(Self.number(height - 4))">\(backups.first.map { Format.time($0.startedAt) } ?? "")</text>
            """
        return """
            <svg class="chart" role="img" viewBox="0 0 \(Self.number(width)) \(Self.number(height))" \
            xmlns="http://www.w3.org/2000/svg">\(axis)\(bars)</svg>
            """
    }

    static func number(_ value: Double) -> String { String((value * 10).rounded() / 10) }
}
