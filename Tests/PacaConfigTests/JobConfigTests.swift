import PacaConfig
import PacaCore
import Testing

@Suite struct JobConfigTests {
    static let base = """
        state_dir: /var/lib/paca
        socket: /run/paca/pacad.sock
        targets:
          local: {type: directory, path: /var/backups/paca}
        sets:
          training: {paths: [/srv/ml/learning]}
          logs: {paths: [/srv/ml/logs]}

        """

    @Test func cronAndIntervalJobsWithJitterAndCatchUp() throws {
        let config = try ConfigLoader.load(
            yaml: Self.base + """
                jobs:
                  daily: {cron: "CRON_TZ=Europe/Berlin 0 2 * * *", set: training}
                  frequent: {every: 6h, set: logs, jitter: 5m, catch_up: false}
                """)
        #expect(config.jobs.map(\.name) == ["daily", "frequent"])
        #expect(config.jobs[0].schedule == .cron(try CronExpression("CRON_TZ=Europe/Berlin 0 2 * * *")))
        #expect(config.jobs[0].catchUp && config.jobs[0].jitter == 0)
        #expect(config.jobs[1].schedule == .every(21_600))
        #expect(config.jobs[1].jitter == 300 && !config.jobs[1].catchUp)
    }

    @Test func everyProblemWithJobsIsReportedWithItsKey() {
        let text =
            Self.base + """
                jobs:
                  a: {cron: "61 * * * *", set: training}
                  b: {every: 10s, set: training}
                  c: {set: training}
                  d: {cron: "@daily", every: 1h, set: training}
                  e: {cron: "@daily", set: nope}
                  f: {cron: "@daily"}
                  g: {cron: "@daily", set: logs, jitter: soon, catch_up: maybe}
                  h: {cron: "0 0 31 2 *", set: logs}
                  i: {cron: "CRON_TZ=Mars/Base 0 2 * * *", set: logs}
                  j: {crn: "@daily", set: logs}
                """
        #expect {
            try ConfigLoader.load(yaml: text)
        } throws: { error in
            let problems = (error as? ConfigError)?.problems.map(\.description) ?? []
            let expected = [
                #"jobs.a.cron: minute field: "61" is out of range 0-59"#,
                #"jobs.b.every: "10s" is not an interval of a minute or more"#,
                "jobs.c: needs a schedule",
                "jobs.d: has both cron: and every:",
                #"jobs.e.set: no set named "nope""#,
                "jobs.f.set: missing; with several sets",
                #"jobs.g.jitter: "soon" is not a duration"#,
                "jobs.g.catch_up: expected true or false",
                #"jobs.h.cron: "0 0 31 2 *" never fires"#,
                "jobs.i.cron: time zone Mars/Base",
                #"jobs.j.crn: unknown key (did you mean "cron"?)"#,
            ]
            for fragment in expected where !problems.contains(where: { $0.contains(fragment) }) {
                Issue.record("no problem mentions \(fragment); got:\n\(problems.joined(separator: "\n"))")
            }
            return !problems.isEmpty
        }
    }

    @Test func aJobMayOmitTheSetWhenThereIsOnlyOne() throws {
        let text =
            Self.base.replacingOccurrences(of: "  logs: {paths: [/srv/ml/logs]}\n", with: "") + "jobs:\n  nightly: {cron: \"@daily\"}\n"
        #expect(try ConfigLoader.load(yaml: text).jobs.first?.set == "training")
    }
}
