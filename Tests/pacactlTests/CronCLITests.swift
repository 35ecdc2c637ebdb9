import Foundation
import PacaTestSupport
import Testing

/// `pacactl cron next`: works without a daemon, like `systemd-analyze calendar`.
@Suite struct CronCLITests {
    @Test func printsTheNextTimesInTheZonesOffset() async throws {
        let out = try await CLI.run(["cron", "next", "CRON_TZ=Europe/Berlin 30 2 * * *", "--from", "2026-03-28T12:00:00Z", "--count", "3"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout == "2026-03-29T03:00:00+02:00\n2026-03-30T02:30:00+02:00\n2026-03-31T02:30:00+02:00\n")
    }

    @Test func jsonHasTheExpressionAndRFC3339Times() async throws {
        let out = try await CLI.run([
            "cron", "next", "0 2 * * *", "--from", "2026-01-01T00:00:00Z", "--count", "2", "--tz", "UTC", "--json",
        ])
        #expect(out.status == 0)
        #expect(out.stdout == #"{"expression":"0 2 * * *","next":["2026-01-01T02:00:00Z","2026-01-02T02:00:00Z"]}"# + "\n")
    }

    @Test func fromAcceptsAnyOffsetAndTzOverridesTheLocalZone() async throws {
        let out = try await CLI.run([
            "cron", "next", "0 9 * * *", "--from", "2026-01-01T09:00:00+09:00", "--tz", "Asia/Seoul", "--count", "1",
        ])
        #expect(out.stdout == "2026-01-02T09:00:00+09:00\n")
    }

    @Test func anExpressionThatNeverFiresSaysSoAndExitsOne() async throws {
        let out = try await CLI.run(["cron", "next", "0 0 31 2 *", "--json"])
        #expect(out.status == 1)
        #expect(out.json["next"] as? [String] == [])
        #expect(out.stderr.contains("never fires"))
    }

    @Test(arguments: [
        (["cron", "next", "61 * * * *"], #"minute field: "61" is out of range 0-59"#),
        (["cron", "next", "@daily", "--tz", "../../etc/passwd"], "is not a zone name"),
        (["cron", "next", "@daily", "--tz", "Mars/Olympus_Mons"], "no such zone"),
        (["cron", "next", "@daily", "--from", "yesterday"], "is not an RFC 3339 time"),
        (["cron", "next", "@daily", "--count", "0"], "--count must be 1-1000"),
    ])
    func badInputIsAUsageErrorNamingTheProblem(arguments: [String], message: String) async throws {
        let out = try await CLI.run(arguments)
        #expect(out.status == 2)
        #expect(out.stderr.contains(message), "\(out.stderr)")
    }
}
