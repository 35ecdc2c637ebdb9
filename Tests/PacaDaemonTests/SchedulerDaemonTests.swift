import Foundation
import Testing

/// Jobs through the socket and pacactl, with the daemon's real clock.
@Suite(.serialized) struct SchedulerDaemonTests {
    @Test func jobsAddedAtRunTimeAreListedRunAndSurviveARestart() throws {
        let daemon = try DaemonHarness(extraConfig: "jobs:\n  nightly: {cron: \"0 2 * * *\", set: data}")
        daemon.write("a.txt", Array("hello".utf8))
        try daemon.start()
        let added = try daemon.pacactl(["jobs", "add", "frequent", "--every", "6h", "--jitter", "5m", "--json"])
        #expect(added.status == 0, "\(added.stderr)")
        #expect(added.json["schedule"] as? String == "every 6h" && added.json["origin"] as? String == "runtime")
        let listed = try daemon.pacactl(["jobs", "list"])
        #expect(listed.stdout.contains("frequent") && listed.stdout.contains("nightly") && listed.stdout.contains("0 2 * * *"))

        let ran = try daemon.pacactl(["jobs", "run", "frequent", "--json"])
        #expect(ran.status == 0, "\(ran.stderr)")
        #expect(ran.json["trigger"] as? String == "job:frequent")
        let events = try daemon.pacactl(["events", "--json"]).json["events"] as? [[String: Any]] ?? []
        #expect(events.map { $0["kind"] as? String } == ["fired", "completed"])

        #expect(try daemon.pacactl(["jobs", "pause", "nightly"]).status == 0)
        #expect(try daemon.pacactl(["jobs", "remove", "nightly"]).status == 1)  // from the config file
        #expect(try daemon.pacactl(["jobs", "pause", "nope"]).status == 4)
        let bad = try daemon.pacactl(["jobs", "add", "x", "--cron", "61 * * * *"])
        #expect(bad.status == 1 && bad.stderr.contains(#"minute field: "61" is out of range 0-59"#))
        let before = try daemon.pacactl(["jobs", "list", "--json"]).stdout
        daemon.stop()
        try daemon.start()
        #expect(try daemon.pacactl(["jobs", "list", "--json"]).stdout == before)
        daemon.stop()
    }

    /// The machine was off when the job was due: at start the job runs once, as a catch-up.
    @Test func aJobDueWhileTheDaemonWasDownRunsOnceAtStart() throws {
        let daemon = try DaemonHarness()
        daemon.write("a.txt", Array("hello".utf8))
        try daemon.start()
        #expect(try daemon.pacactl(["jobs", "add", "hourly", "--every", "1h"]).status == 0)
        daemon.stop()
        // Move its next slot three hours into the past, as if pacad had been off since then.
        let path = daemon.root + "/state/schedule.json"
        var document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        var jobs = document["jobs"] as! [String: Any]
        var entry = jobs["hourly"] as! [String: Any]
        var job = entry["job"] as! [String: Any]
        let past = Int(Date().timeIntervalSince1970) - 3 * 3600 - 60
        job["nextSlot"] = past
        job["nextDue"] = past
        entry["job"] = job
        jobs["hourly"] = entry
        document["jobs"] = jobs
        try JSONSerialization.data(withJSONObject: document).write(to: URL(fileURLWithPath: path))

        try daemon.start()
        var kinds: [String] = []
        for _ in 0..<300 {
            // Over the socket, not by starting pacactl a thousand times.
            let events = (try daemon.rpc("events.list")["result"] as? [String: Any])?["events"] as? [[String: Any]] ?? []
            kinds = events.compactMap { $0["kind"] as? String }
            if kinds.contains("completed") { break }
            usleep(20_000)
        }
        #expect(kinds == ["caught_up", "completed"])
        let backups = try daemon.pacactl(["backup", "list", "--json"]).json["backups"] as? [[String: Any]] ?? []
        #expect(backups.count == 1)
        #expect(backups.first?["reason"] as? String == "catch-up for 4 missed slot(s)")
        daemon.stop()
    }
}

/// A suite of its own so its minute of waiting overlaps the other suites.
@Suite struct RuntimeJobDaemonTests {
    /// A job added through the socket fires on the daemon's own clock, with nobody running it.
    @Test func aJobAddedAtRunTimeFiresOnItsOwn() throws {
        let daemon = try DaemonHarness()
        daemon.write("a.txt", Array("hello".utf8))
        try daemon.start()
        let added = try daemon.pacactl(["jobs", "add", "minutely", "--cron", "* * * * *", "--json"])
        #expect(added.status == 0, "\(added.stderr)")
        var kinds: [String] = []
        // The next minute boundary is at most 60 s away.
        for _ in 0..<1500 {
            // Over the socket, not by starting pacactl a thousand times.
            let events = (try daemon.rpc("events.list")["result"] as? [String: Any])?["events"] as? [[String: Any]] ?? []
            kinds = events.compactMap { $0["kind"] as? String }
            if kinds.contains("completed") { break }
            usleep(50_000)
        }
        #expect(Array(kinds.prefix(2)) == ["fired", "completed"])
        let backups = try daemon.pacactl(["backup", "list", "--json"]).json["backups"] as? [[String: Any]] ?? []
        #expect(backups.first?["trigger"] as? String == "job:minutely")
        #expect(backups.first?["status"] as? String == "complete")
        daemon.stop()
    }
}
