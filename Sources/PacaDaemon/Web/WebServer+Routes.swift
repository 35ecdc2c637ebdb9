import Hummingbird
import PacaCatalog
import PacaProtocol
import PacaWeb

extension WebServer {
    func addRoutes(to routes: Router<WebContext>) {
        addPageRoutes(to: routes)
        routes.get("/metrics") { _, _ in
            WebPage.text(await metricsCache.text { await metrics().exposition.text }, contentType: Exposition.contentType)
        }
        routes.get("/assets/pacad.css") { _, _ in
            WebPage.text(Layout.stylesheet, contentType: "text/css; charset=utf-8", cache: "max-age=3600")
        }
        routes.get("/login") { request, _ in
            guard let token = request.uri.queryParameters["token"].map(String.init), let (id, _) = await sessions.redeem(token) else {
                throw WebFailure.badToken
            }
            var response = WebPage.redirect("/")
            response.setCookie(
                Cookie(
                    name: WebGuard.cookieName, value: id, maxAge: Int(http.sessionLifetime), path: "/", secure: http.tls != nil,
                    httpOnly: true, sameSite: .strict))
            return response
        }
        routes.post("/logout") { _, context in
            if let signedIn = context.signedIn { await sessions.end(signedIn.sessionID) }
            var response = WebPage.html(
                Layout.page("Signed out", section: nil, viewer: nil, body: "<p>Run <code>pacactl web url</code> to sign in again.</p>"))
            response.setCookie(
                Cookie(
                    name: WebGuard.cookieName, value: "", maxAge: 0, path: "/", secure: http.tls != nil, httpOnly: true, sameSite: .strict))
            return response
        }
        routes.get("/") { _, context in
            let signedIn = try context.requireSignIn()
            let status = try await call(Methods.daemonStatus, NoParams(), as: signedIn)
            let jobs = try await call(Methods.jobList, NoParams(), as: signedIn).jobs
            let page = OverviewPage(status: status, jobs: jobs, now: Int64(daemon.clock.now()), viewer: signedIn.viewer)
            return WebPage.html(page.html(notice: await sessions.takeNotice(signedIn.sessionID)))
        }
        routes.post("/sets/:set/backup") { _, context in
            let signedIn = try context.requireSignIn()
            let set = try context.parameters.require("set")
            let params = BackupCreateParams(set: set, reason: "from the dashboard", wait: false)
            let admitted = try await call(Methods.backupCreate, params, as: signedIn)
            let text =
                switch admitted {
                case .admitted(let admission):
                    "Backup of \(set) \(admission.status == .queued ? "queued behind the running one" : "started")."
                case .finished(let backup): "Backup \(backup.id) of \(set) finished: \(backup.status.rawValue)."
                }
            await sessions.setNotice(Notice(text), for: signedIn.sessionID)
            return WebPage.redirect("/")
        }
    }

    /// What `/metrics` reports now: from the catalog in memory and the daemon's own state.
    func metrics() async -> DaemonMetrics {
        let config = await daemon.configuration.config
        let summaries = await daemon.catalog.setSummaries()
        let snapshot = await daemon.engine.snapshot()
        let running = Set(snapshot.activities.filter { $0.kind == .backup }.map(\.set))
        let targets = await daemon.engine.targetStatus()
        let nextRuns = await daemon.scheduler.nextRuns()
        return DaemonMetrics(
            version: PacaVersion.current, now: daemon.clock.now(), startedAt: daemon.startedAt, catalogBackups: await daemon.catalog.count,
            sets: config.sets.map { set in
                DaemonMetrics.SetState(
                    name: set.name, summary: summaries[set.name] ?? SetSummary(), rpo: set.rpo, isRunning: running.contains(set.name))
            },
            targets: targets.map { target in
                // Healthy or not as `status` says it (nil before the first check).
                DaemonMetrics.TargetState(
                    name: target.name, isUp: MethodRouter.targetStatus(target).healthy, failedDeliveries: target.failedDeliveries,
                    freeBytes: target.freeBytes, lastDeliveryAt: target.lastDeliveryAt,
                    oldestUnverifiedSeconds: target.oldestUnverifiedSeconds, scrubEvery: target.scrubEvery)
            },
            jobs: config.jobs.map(\.name).sorted().map { ($0, nextRuns[$0].map { Double($0) }) })
    }
}
