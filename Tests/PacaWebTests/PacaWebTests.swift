import PacaCatalog
import PacaWeb
import Testing

@Suite struct ExpositionTests {
    @Test func writesHelpTypeAndEscapedLabelsInTheOrderGiven() {
        var out = Exposition()
        out.add("b_total", .gauge, help: "second\\line\nnext", [.init([("set", "a\"b\\c\nd")], 2.5)])
        out.add("a_seconds", .gauge, help: "first", [.init(.infinity), .init([("x", "1")], 1_796_500_000), .init(-.infinity), .init(.nan)])
        #expect(
            out.text == """
                # HELP b_total second\\\\line\\nnext
                # TYPE b_total gauge
                b_total{set="a\\"b\\\\c\\nd"} 2.5
                # HELP a_seconds first
                # TYPE a_seconds gauge
                a_seconds +Inf
                a_seconds{x="1"} 1796500000
                a_seconds -Inf
                a_seconds NaN

                """)
    }

    @Test func aSetWithoutACompleteBackupIsPastItsObjectiveForever() {
        let metrics = DaemonMetrics(
            version: "1.0", now: 1000, startedAt: 900, catalogBackups: 0,
            sets: [
                .init(name: "never", summary: SetSummary(), rpo: 3600, isRunning: false),
                .init(name: "loose", summary: SetSummary(), rpo: nil, isRunning: true),
            ],
            targets: [.init(name: "t", isUp: nil, failedDeliveries: 2, freeBytes: nil, lastDeliveryAt: nil, oldestUnverifiedSeconds: nil)],
            jobs: [("nightly", 2000), ("paused", nil)])
        let text = metrics.exposition.text
        #expect(text.contains("paca_rpo_seconds{set=\"never\"} +Inf"))
        #expect(text.contains("paca_rpo_target_seconds{set=\"never\"} 3600"))
        #expect(!text.contains("paca_rpo_seconds{set=\"loose\"}"), "no objective, no RPO series")
        #expect(text.contains("paca_backup_last_success_timestamp_seconds{set=\"never\"} 0"))
        #expect(text.contains("paca_backup_running{set=\"loose\"} 1"))
        #expect(!text.contains("paca_target_up{"), "absent before the first check")
        #expect(text.contains("paca_target_failed_deliveries{target=\"t\"} 2"))
        #expect(text.contains("paca_jobs_next_run_timestamp_seconds{job=\"nightly\"} 2000") && !text.contains("job=\"paused\""))
    }
}

@Suite struct RequestCheckTests {
    let check = RequestCheck(acceptedHosts: ["127.0.0.1:9180", "localhost:9180"], scheme: "http")

    @Test func hostMustBeTheDashboards() {
        #expect(check.refusal(method: "GET", host: "127.0.0.1:9180", origin: nil) == nil)
        #expect(check.refusal(method: "GET", host: "LOCALHOST:9180", origin: nil) == nil, "names are not case sensitive")
        #expect(check.refusal(method: "GET", host: "attacker.example:9180", origin: nil) == .foreignHost("attacker.example:9180"))
        #expect(check.refusal(method: "GET", host: nil, origin: nil) == .missingHost)
        #expect(check.refusal(method: "GET", host: "127.0.0.1:9181", origin: nil) != nil, "another port is another origin")
    }

    @Test func changesNeedTheDashboardsOrigin() {
        #expect(check.refusal(method: "POST", host: "127.0.0.1:9180", origin: "http://127.0.0.1:9180") == nil)
        #expect(check.refusal(method: "POST", host: "127.0.0.1:9180", origin: nil) == .missingOrigin)
        #expect(check.refusal(method: "POST", host: "127.0.0.1:9180", origin: "null") == .foreignOrigin("null"))
        #expect(check.refusal(method: "POST", host: "127.0.0.1:9180", origin: "https://127.0.0.1:9180") != nil, "another scheme")
        #expect(check.refusal(method: "GET", host: "127.0.0.1:9180", origin: "http://evil.example") != nil)
        #expect(
            check.refusal(method: "POST", host: "127.0.0.1:9180", origin: "http://localhost:9180") != nil, "Origin must match the Host sent"
        )
    }

    @Test func aUnixSocketTakesAnyHostButHoldsOriginToIt() {
        let socket = RequestCheck(acceptedHosts: [], scheme: "http")
        #expect(socket.refusal(method: "GET", host: "backup.lab", origin: nil) == nil)
        #expect(socket.refusal(method: "POST", host: "backup.lab", origin: "http://backup.lab") == nil)
        #expect(socket.refusal(method: "POST", host: "backup.lab", origin: "http://evil.example") != nil)
    }
}

@Suite struct HTMLTests {
    @Test func interpolatedTextIsEscapedAndHTMLIsNot() {
        let name = "<script>alert('x')</script> & \"q\""
        let bold: HTML = "<b>\(name)</b>"
        #expect(bold.text == "<b>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;</b>")
        let nested: HTML = "<p>\(bold)</p>"
        #expect(nested.text == "<p>" + bold.text + "</p>", "HTML pieces are not escaped twice")
    }

    @Test func urlPiecesAreEncodedAndFormsDecoded() {
        #expect(URLText.component("a b/ü?&=") == "a%20b%2F%C3%BC%3F%26%3D")
        #expect(URLText.query([("a", "1"), ("b", nil), ("c", "x y")]) == "?a=1&c=x%20y")
        #expect(URLText.formFields("path=src%2Fa+b&destination=%2Ftmp%2Fr&bad=%zz") == ["path": "src/a b", "destination": "/tmp/r"])
    }
}

@Suite struct SetSummaryTests {
    static func record(_ id: String, _ status: BackupRecord.Status, started: Int64, checkpoint: String? = nil) -> BackupRecord {
        var record = BackupRecord(id: id, set: "s", trigger: .manual, reason: nil, startedAt: started, target: "t", path: "p")
        record.status = status
        record.finishedAt = started + 10
        record.checkpoint = checkpoint
        return record
    }

    @Test func successAndAttemptAreWholeSetBackupsOnly() {
        let summary = SetSummary.of([
            Self.record("1", .complete, started: 100), Self.record("2", .failed, started: 200),
            Self.record("3", .complete, started: 300, checkpoint: "/ckpt/step-3"), Self.record("4", .running, started: 400),
        ])["s"]!
        #expect(summary.lastSuccess?.id == "1")
        #expect(summary.lastAttempt?.id == "2", "a checkpoint capture and a running backup are no attempt of the whole set")
        #expect(summary.counts[.complete] == 2 && summary.counts[.running] == 1)
        #expect(summary.recoveryPointAge(now: 1000) == 900)
        #expect(
            summary.isPastObjective(600, now: 1000) && !summary.isPastObjective(1000, now: 1000) && !summary.isPastObjective(nil, now: 1000)
        )
        #expect(SetSummary().isPastObjective(60, now: 0), "no complete backup is past any objective")
    }
}
