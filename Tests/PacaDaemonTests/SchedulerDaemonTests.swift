import Foundation
import PacaProtocol
import PacaTestSupport
import Testing

/// Jobs through the socket and pacactl, on a daemon whose clock the test moves.
@Suite struct SchedulerDaemonTests {
    static func eventKinds(_ daemon: InProcessDaemon) async -> [JobEventKind] {
        ((try? await daemon.call(Methods.eventsList))?.events ?? []).map(\.kind)
    }

    @Test func jobsAddedAtRunTimeAreListedRunAndSurviveARestart() async throws {
        let daemon = try InProcessDaemon(extraConfig: "jobs:\n  nightly: {cron: \"0 2 * * *\", set: data}")
        daemon.write("a.txt", Array("hello".utf8))
        let before = try await daemon.run { _ in
            let added = try await daemon.pacactl(["jobs", "add", "frequent", "--every", "6h", "--jitter", "5m", "--json"])
            #expect(added.status == 0, "\(added.stderr)")
            #expect(added.json["schedule"] as? String == "every 6h" && added.json["origin"] as? String == "runtime")
            let listed = try await daemon.pacactl(["jobs", "list"])
            #expect(listed.stdout.contains("frequent") && listed.stdout.contains("nightly") && listed.stdout.contains("0 2 * * *"))

            let ran = try await daemon.pacactl(["jobs", "run", "frequent", "--json"])
            #expect(ran.status == 0, "\(ran.stderr)")
            #expect(ran.json["trigger"] as? String == "job:frequent")
            await eventually("the run's end to be recorded") { await Self.eventKinds(daemon) == [.fired, .completed] }

            let paused = try await daemon.pacactl(["jobs", "pause", "nightly"])
            let removed = try await daemon.pacactl(["jobs", "remove", "nightly"])  // from the config file
            let unknown = try await daemon.pacactl(["jobs", "pause", "nope"])
            #expect(paused.status == 0 && removed.status == 1 && unknown.status == 4)
            let bad = try await daemon.pacactl(["jobs", "add", "x", "--cron", "61 * * * *"])
            #expect(bad.status == 1 && bad.stderr.contains(#"minute field: "61" is out of range 0-59"#))
            return try await daemon.pacactl(["jobs", "list", "--json"]).stdout
        }
        let after = try await daemon.run { _ in try await daemon.pacactl(["jobs", "list", "--json"]).stdout }
        #expect(after == before)
    }

    /// The machine was off when the job was due: at start the job runs once, as a catch-up.
    @Test func aJobDueWhileTheDaemonWasDownRunsOnceAtStart() async throws {
        let daemon = try InProcessDaemon()
        daemon.write("a.txt", Array("hello".utf8))
        let added = try await daemon.run { _ in try await daemon.pacactl(["jobs", "add", "hourly", "--every", "1h"]) }
        #expect(added.status == 0, "\(added.stderr)")
        // Down for four hours and a minute: four slots passed.
        daemon.clock.advance(by: .seconds(4 * 3600 + 60))
        try await daemon.run { _ in
            await eventually("the catch-up run to end") { await Self.eventKinds(daemon).contains(.completed) }
            let kinds = await Self.eventKinds(daemon)
            #expect(kinds == [.caughtUp, .completed])
            let backups = try await daemon.call(Methods.backupList).backups
            #expect(backups.count == 1)
            #expect(backups.first?.reason == "catch-up for 4 missed slot(s)")
        }
    }

    /// A job added through the socket fires on the daemon's own clock, with nobody running it.
    @Test func aJobAddedAtRunTimeFiresOnItsOwn() async throws {
        let daemon = try InProcessDaemon(wall: "2026-11-27T02:00:30Z")
        daemon.write("a.txt", Array("hello".utf8))
        try await daemon.run { _ in
            let added = try await daemon.pacactl(["jobs", "add", "minutely", "--cron", "* * * * *", "--json"])
            #expect(added.status == 0, "\(added.stderr)")
            #expect(added.json["next_due"] as? String == "2026-11-27T02:01:00Z")
            daemon.clock.advance(by: .seconds(29))
            let none = await Self.eventKinds(daemon)
            #expect(none.isEmpty)
            daemon.clock.advance(by: .seconds(1))
            await eventually("the job to fire and its backup to end") { await Self.eventKinds(daemon).prefix(2) == [.fired, .completed] }
            let backups = try await daemon.call(Methods.backupList).backups
            #expect(backups.first?.trigger == "job:minutely")
            #expect(backups.first?.status == .complete)
        }
    }
}
