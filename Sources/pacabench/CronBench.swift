import PacaCore

/// How many next-fire computations per second the cron code does on a mixed set of expressions
/// (every-minute to yearly, lists, steps, names, the day-of-month/day-of-week OR rule, leap days,
/// one in a daylight-saving zone), each asked for its next fire after a series of instants.
enum CronBench {
    static let expressions = [
        "* * * * *", "*/5 * * * *", "0 * * * *", "0 2 * * *", "30 4 * * mon-fri", "15,45 9-17 * * 1-5", "0 0 1 * *", "0 0 1 1 *",
        "0 0 29 2 *", "0 0 13 * fri", "10-50/20 */3 * jan,jul *", "@weekly",
    ]

    /// Median rate over `rounds` rounds of `perRound` computations.
    static func run(rounds: Int = 5, perRound: Int = 600_000) -> Double {
        let crons = expressions.map { try! CronExpression($0) }
        let berlin = try! ZoneRules(posix: "CET-1CEST,M3.5.0,M10.5.0/3")
        var rates: [Double] = []
        var checksum: Int64 = 0
        for _ in 0..<rounds {
            let started = Runner.now()
            var instant: Int64 = 1_767_225_600  // 2026-01-01
            for index in 0..<perRound {
                let cron = crons[index % crons.count]
                let zone = index % crons.count == 3 ? berlin : ZoneRules.utc
                let next = cron.nextFire(after: instant, in: zone) ?? instant
                checksum &+= next
                instant += 7_919  // walk through the year, a little over two hours a step
            }
            rates.append(Double(perRound) / (Runner.now() - started))
        }
        if checksum == 42 { print("") }  // keeps the work observable
        return rates.median
    }
}
