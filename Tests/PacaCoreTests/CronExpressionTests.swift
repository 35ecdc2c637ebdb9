import Testing

@testable import PacaCore

private func instant(_ text: String) -> Int64 { CivilTime(rfc3339: text)!.unixSeconds }
private func text(_ seconds: Int64) -> String { CivilTime(unixSeconds: seconds).rfc3339 }

@Suite struct CronParserTests {
    @Test(arguments: [
        ("61 * * * *", #"minute field: "61" is out of range 0-59"#),
        ("* 24 * * *", #"hour field: "24" is out of range 0-23"#),
        ("* * 0 * *", #"day-of-month field: "0" is out of range 1-31"#),
        ("* * * 13 *", #"month field: "13" is out of range 1-12"#),
        ("* * * * 8", #"day-of-week field: "8" is out of range 0-7"#),
        ("* * * foo *", #"month field: "foo" is not a number 1-12 or a name like jan, feb"#),
        ("5-1 * * * *", #"minute field: "5-1" runs backwards; write the range from low to high"#),
        ("*/0 * * * *", #"minute field: "*/0" has a step that is not a positive number"#),
        ("*/61 * * * *", #"minute field: "*/61" has a step larger than the field's range 0-59"#),
        ("1,,2 * * * *", #"minute field: "1,,2" has an empty item in its list"#),
        ("* * * *", #"expected 5 fields (minute hour day-of-month month day-of-week), found 4 in "* * * *""#),
        ("* * * * * *", #"expected 5 fields (minute hour day-of-month month day-of-week), found 6 in "* * * * * *""#),
        ("@reboot", #""@reboot" is not a macro; use one of @annually @daily @hourly @midnight @monthly @weekly @yearly"#),
        ("CRON_TZ=../etc/passwd 0 2 * * *", #""../etc/passwd" is not a time zone name like Europe/Berlin or UTC"#),
    ])
    func badExpressionsNameFieldTokenAndExpectation(expression: String, message: String) {
        #expect(throws: CronError.self) { try CronExpression(expression) }
        do {
            _ = try CronExpression(expression)
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func namesAndSevenAsSundayMeanTheSameAsNumbers() throws {
        #expect(try CronExpression("0 9 * jan-mar MON-fri").months == (try CronExpression("0 9 * 1-3 1-5")).months)
        #expect(try CronExpression("0 0 * * 7").daysOfWeek == (try CronExpression("0 0 * * sun")).daysOfWeek)
        #expect(try CronExpression("0 0 * * 5-7").daysOfWeek == (try CronExpression("0 0 * * 0,5,6")).daysOfWeek)
    }

    @Test func aZonePrefixIsKept() throws {
        let expression = try CronExpression("CRON_TZ=Asia/Seoul  30 9 * * *")
        #expect(expression.timeZone == "Asia/Seoul")
        #expect(try CronExpression("0 2 * * *").timeZone == nil)
    }
}

@Suite struct CronNextFireTests {
    @Test(arguments: [
        // Every field form.
        ("0 2 * * *", "2026-01-01T00:00:00Z", ["2026-01-01T02:00:00Z", "2026-01-02T02:00:00Z"]),
        ("*/15 * * * *", "2026-11-27T10:07:00Z", ["2026-11-27T10:15:00Z", "2026-11-27T10:30:00Z", "2026-11-27T10:45:00Z"]),
        (
            "10-50/20 * * * *", "2026-11-27T10:00:00Z",
            ["2026-11-27T10:10:00Z", "2026-11-27T10:30:00Z", "2026-11-27T10:50:00Z", "2026-11-27T11:10:00Z"]
        ),
        ("1,15,30 8 * * *", "2026-11-27T08:15:00Z", ["2026-11-27T08:30:00Z", "2026-11-28T08:01:00Z"]),
        (
            "5/20 0 * * *", "2026-11-27T00:00:00Z",
            ["2026-11-27T00:05:00Z", "2026-11-27T00:25:00Z", "2026-11-27T00:45:00Z", "2026-11-28T00:05:00Z"]
        ),
        ("0 9 * * mon-fri", "2026-11-27T09:00:00Z", ["2026-11-30T09:00:00Z", "2026-12-01T09:00:00Z"]),
        // Strictly after: a fire time equal to `from` is not returned.
        ("0 0 * * *", "2026-11-28T00:00:00Z", ["2026-11-29T00:00:00Z"]),
        // Macros.
        ("@hourly", "2026-11-27T10:59:59Z", ["2026-11-27T11:00:00Z"]),
        ("@daily", "2026-11-27T10:00:00Z", ["2026-11-28T00:00:00Z"]),
        ("@midnight", "2026-11-27T10:00:00Z", ["2026-11-28T00:00:00Z"]),
        ("@weekly", "2026-11-27T10:00:00Z", ["2026-11-29T00:00:00Z", "2026-12-06T00:00:00Z"]),
        ("@monthly", "2026-11-27T10:00:00Z", ["2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z"]),
        ("@yearly", "2026-11-27T10:00:00Z", ["2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z"]),
        ("@annually", "2026-11-27T10:00:00Z", ["2027-01-01T00:00:00Z"]),
        // Month ends and leap days.
        ("0 0 31 * *", "2026-01-31T00:00:01Z", ["2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z", "2026-07-31T00:00:00Z"]),
        ("0 0 29 2 *", "2026-01-01T00:00:00Z", ["2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"]),
        ("0 0 29 2 *", "2096-03-01T00:00:00Z", ["2104-02-29T00:00:00Z"]),
        ("59 23 28-31 2 *", "2028-02-28T23:59:00Z", ["2028-02-29T23:59:00Z", "2029-02-28T23:59:00Z"]),
        ("0 12 30 * *", "2026-02-01T00:00:00Z", ["2026-03-30T12:00:00Z"]),
        // Day-of-month OR day-of-week when both are restricted (Vixie cron); AND when one is `*`.
        ("0 0 1 * mon", "2026-05-31T00:00:00Z", ["2026-06-01T00:00:00Z", "2026-06-08T00:00:00Z", "2026-06-15T00:00:00Z"]),
        (
            "0 0 13 * fri", "2026-11-06T00:00:00Z",
            ["2026-11-13T00:00:00Z", "2026-11-20T00:00:00Z", "2026-11-27T00:00:00Z", "2026-12-04T00:00:00Z"]
        ),
        ("0 0 * 2 mon", "2026-02-26T00:00:00Z", ["2027-02-01T00:00:00Z"]),
        ("0 0 */2 * *", "2026-01-30T12:00:00Z", ["2026-01-31T00:00:00Z", "2026-02-01T00:00:00Z", "2026-02-03T00:00:00Z"]),
        // Year rollover.
        ("30 23 31 12 *", "2026-12-31T23:30:00Z", ["2027-12-31T23:30:00Z"]),
    ])
    func nextFireTimesMatchKnownAnswers(expression: String, from: String, expected: [String]) throws {
        let cron = try CronExpression(expression)
        #expect(cron.nextFires(after: instant(from), count: expected.count).map(text) == expected)
    }

    @Test(arguments: ["0 0 31 2 *", "0 0 30 2 *", "0 0 31 4,6,9,11 *", "0 0 30,31 2 *"])
    func expressionsThatNeverFireSaySoAndReturnNothing(expression: String) throws {
        let cron = try CronExpression(expression)
        #expect(cron.neverReason != nil)
        #expect(cron.nextFire(after: 0) == nil)
    }

    @Test func restrictedDayOfWeekKeepsAnImpossibleDayOfMonthAlive() throws {
        let cron = try CronExpression("0 0 31 2 sun")  // OR rule: every Sunday in February
        #expect(cron.neverReason == nil)
        #expect(cron.nextFire(after: instant("2026-01-01T00:00:00Z")).map(text) == "2026-02-01T00:00:00Z")
    }

    @Test func thousandsOfConsecutiveFiresAreStrictlyIncreasingAndMatch() throws {
        let cron = try CronExpression("7,37 */5 * * 1-5")
        var current = instant("2026-01-01T00:00:00Z")
        for _ in 0..<5000 {
            let next = try #require(cron.nextFire(after: current))
            #expect(next > current)
            let civil = CivilTime(unixSeconds: next)
            #expect([7, 37].contains(civil.minute) && civil.hour % 5 == 0 && civil.second == 0)
            #expect((1...5).contains(CivilDate.weekday(days: next / 86_400)))
            current = next
        }
    }
}
