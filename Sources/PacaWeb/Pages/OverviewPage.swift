public import PacaProtocol

/// `/`: every set with its last backup, recovery point, next runs and triggers; every target
/// with its health, free space and failed deliveries; what runs now.
public struct OverviewPage: Sendable {
    public var status: DaemonStatus
    public var jobs: [Job]
    public var now: Int64
    public var viewer: Viewer

    public init(status: DaemonStatus, jobs: [Job], now: Int64, viewer: Viewer) {
        self.status = status
        self.jobs = jobs
        self.now = now
        self.viewer = viewer
    }

    public func html(notice: Notice? = nil) -> HTML {
        Layout.page("Overview", section: .overview, viewer: viewer, notice: notice, body: running + sets + targets + damaged + footer)
    }

    var running: HTML {
        guard !status.activities.isEmpty else { return "<p class=\"muted\">\(status.statusLine)</p>" }
        return "<h2>Running now</h2><ul>"
            + status.activities.html { activity in
                let percent = activity.progress.percent.map { " \($0)%" } ?? ""
                return
                    "<li>\(activity.kind.rawValue) of <b>\(activity.set)</b>\(percent), started \(Format.relative(activity.startedAt, now: now))</li>"
            } + "</ul>"
    }

    var sets: HTML {
        let rows = status.sets.html { set in
            let last: HTML =
                set.lastBackup.map { last in
                    """
                    <a class="mono" href="/backups/\(URLText.component(last.id))">\(last.id)</a> \(badge(last.status))<br>\
                    <span class="muted">\(last.type.rawValue), \(Format.time(last.finishedAt)) \(Format.relative(last.finishedAt, now: now))</span>
                    """
                } ?? "<span class=\"muted\">none yet</span>"
            let next = jobs.filter { $0.set == set.name }.html { job in
                "<div><span class=\"mono\">\(job.name)</span> \(job.paused ? "paused" : Format.relative(job.nextDue, now: now))</div>"
            }
            var triggers = set.triggers.joined(separator: ", ")
            if let due = set.watch?.dueInSeconds { triggers += " (changes seen; backup in \(Int(due.rounded(.up))) s)" }
            if set.queued { triggers += " · queued" }
            let action: HTML =
                viewer.mayOperate
                ? """
                <form class="inline" method="post" action="/sets/\(URLText.component(set.name))/backup"><button type="submit">Back up now</button></form>
                """ : .empty
            return """
                <tr data-set="\(set.name)"><td><b>\(set.name)</b><br><a href="/backups?set=\(URLText.component(set.name))">backups</a> · \
                <a href="/charts?set=\(URLText.component(set.name))">charts</a></td>
                <td>\(last)</td><td>\(rpo(set.rpo))</td><td>\(next.text.isEmpty ? "<span class=\"muted\">no job</span>" : next)</td>\
                <td>\(triggers.isEmpty ? "-" : triggers)</td><td>\(action)</td></tr>
                """
        }
        return """
            <h2>Sets</h2>
            <table id="sets"><thead><tr><th>Set</th><th>Last backup</th><th>Recovery point</th><th>Next run</th><th>Triggers</th><th></th></tr></thead>
            <tbody>\(rows)</tbody></table>
            """
    }

    func rpo(_ rpo: RecoveryPointStatus?) -> HTML {
        guard let rpo else { return "<span class=\"muted\">no objective</span>" }
        let age = rpo.ageSeconds.map(Format.duration) ?? "no complete backup"
        let state: HTML = rpo.past ? "<span class=\"badge bad\">past RPO</span>" : "<span class=\"badge ok\">within RPO</span>"
        return "\(state)<br><span class=\"muted\">\(age) old; objective \(Format.duration(rpo.targetSeconds))</span>"
    }

    var targets: HTML {
        let rows = status.targets.html { target in
            let health: HTML =
                switch target.healthy {
                case true?: "<span class=\"badge ok\">healthy</span>"
                case false?: "<span class=\"badge bad\">failing</span> \(target.problem ?? "")"
                case nil: "<span class=\"badge\">not checked yet</span>"
                }
            let failed: HTML =
                target.failedDeliveries > 0 ? "<span class=\"bad\">\(target.failedDeliveries)</span>" : "0"
            let unverified = target.oldestUnverifiedSeconds.map(Format.duration) ?? "-"
            return """
                <tr data-target="\(target.name)"><td><b>\(target.name)</b><br><span class="muted">\(target.type) · \(target.location)</span></td>
                <td>\(health)</td><td class="num">\(Format.bytes(target.freeBytes))</td><td class="num">\(failed)</td>
                <td>\(Format.time(target.lastDeliveryAt))</td><td>\(unverified)</td></tr>
                """
        }
        return """
            <h2>Targets</h2>
            <table id="targets"><thead><tr><th>Target</th><th>Health</th><th class="num">Free</th><th class="num">Failed deliveries</th>\
            <th>Last delivery</th><th>Oldest unverified copy</th></tr></thead><tbody>\(rows)</tbody></table>
            """
    }

    var damaged: HTML {
        guard !status.damaged.isEmpty else { return .empty }
        return "<h2 class=\"bad\">Damaged backups</h2><ul>"
            + status.damaged.html { item in
                "<li><a class=\"mono\" href=\"/backups/\(URLText.component(item.id))\">\(item.id)</a> (\(item.set)): \(item.error)</li>"
            } + "</ul>"
    }

    var footer: HTML {
        "<p class=\"muted\">pacad \(status.version) · up \(Format.duration(status.uptimeSeconds)) · \(status.catalog.backups) backups in the catalog</p>"
    }
}

/// A backup's status as a coloured badge.
func badge(_ status: BackupStatus) -> HTML {
    let tone =
        switch status {
        case .complete: "ok"
        case .partial, .unverified, .running: "warn"
        default: "bad"
        }
    return "<span class=\"badge \(tone)\">\(status.rawValue)</span>"
}
