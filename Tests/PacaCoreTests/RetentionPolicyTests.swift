import Foundation
import PacaCore
import PacaTestSupport
import Testing

@Suite struct RetentionPolicyTests {
    /// Nine backups, newest first: A 2027-01-01 00:30 (a Friday, ISO week 2026-W53), B 2026-02-15
    /// 08:00 (W07), C 2026-02-01 08:00 (W05), D 2026-01-08 08:00 (W02), E 2026-01-03 08:00, F
    /// 2026-01-02 18:00, G 2026-01-02 09:00, H 2026-01-01 12:00, I 2026-01-01 10:00 (E-I in W01).
    static let times: [(String, String)] = [
        ("A", "2027-01-01T00:30:00Z"), ("B", "2026-02-15T08:00:00Z"), ("C", "2026-02-01T08:00:00Z"), ("D", "2026-01-08T08:00:00Z"),
        ("E", "2026-01-03T08:00:00Z"), ("F", "2026-01-02T18:00:00Z"), ("G", "2026-01-02T09:00:00Z"), ("H", "2026-01-01T12:00:00Z"),
        ("I", "2026-01-01T10:00:00Z"),
    ]

    static func items(pinned: Set<String> = [], incomplete: Set<String> = []) -> [RetentionPolicy.Item] {
        times.reversed().map { id, text in
            RetentionPolicy.Item(
                id: id, time: CivilTime(rfc3339: text)!.unixSeconds, isComplete: !incomplete.contains(id), isPinned: pinned.contains(id))
        }
    }

    static func kept(_ policy: RetentionPolicy, pinned: Set<String> = [], incomplete: Set<String> = []) -> String {
        policy.apply(to: items(pinned: pinned, incomplete: incomplete)).filter(\.keep).map(\.id).joined()
    }

    /// The hand-computed table: each row is worked out from the nine dates above.
    @Test(arguments: [
        (RetentionPolicy(keepLast: 3), "ABC"),
        (RetentionPolicy(keepHourly: 3), "ABC"),
        (RetentionPolicy(keepDaily: 4), "ABCD"),
        (RetentionPolicy(keepDaily: 10), "ABCDEFH"),  // the newest of each day: F for the 2nd, H for the 1st
        (RetentionPolicy(keepWeekly: 3), "ABC"),
        (RetentionPolicy(keepWeekly: 10), "ABCDE"),  // E is the newest of 2026-W01
        (RetentionPolicy(keepMonthly: 3), "ABD"),  // C shares February with B
        (RetentionPolicy(keepMonthly: -1), "ABD"),
        (RetentionPolicy(keepYearly: 2), "AB"),
        (RetentionPolicy(keepWithin: 363 * 86_400), "ABCDE"),  // relative to A, the newest: back to 2026-01-03 00:30
        (RetentionPolicy(keepWithin: 86_400), "A"),
        (RetentionPolicy(keepLast: 1, keepMonthly: 2), "AB"),
        (RetentionPolicy(keepDaily: 2, keepWeekly: 4, keepYearly: 5), "ABCD"),
        (RetentionPolicy(), "ABCDEFGHI"),  // no rule: nothing is pruned
    ])
    func policiesKeepWhatResticWould(policy: RetentionPolicy, expected: String) {
        #expect(Self.kept(policy) == expected)
    }

    @Test func pinnedBackupsStayAndTheNewestCompleteOneAlwaysStays() {
        #expect(Self.kept(RetentionPolicy(keepDaily: 2), pinned: ["G"]) == "ABG")
        #expect(Self.kept(RetentionPolicy(keepDaily: 2, keepTagged: false), pinned: ["G"]) == "AB")
        // A failed (incomplete): the rules count complete backups only, and B is now the newest.
        let decisions = RetentionPolicy(keepLast: 1).apply(to: Self.items(incomplete: ["A"]))
        #expect(decisions.filter(\.keep).map(\.id) == ["B"])
        #expect(decisions.first { $0.id == "B" }?.reasons == [.newest, .last])
        #expect(decisions.first { $0.id == "A" }?.reasons == [])
    }

    @Test func periodsAreReadInTheDaemonsZone() {
        // 2026-01-01 23:30 UTC is 2026-01-02 08:30 in Seoul (UTC+9): two backups on one UTC day
        // fall on two Seoul days.
        let items = [
            RetentionPolicy.Item(id: "late", time: CivilTime(rfc3339: "2026-01-01T23:30:00Z")!.unixSeconds),
            RetentionPolicy.Item(id: "early", time: CivilTime(rfc3339: "2026-01-01T01:00:00Z")!.unixSeconds),
        ]
        let utc = RetentionPolicy(keepDaily: 5).apply(to: items).filter(\.keep).map(\.id)
        let seoul = RetentionPolicy(keepDaily: 5).apply(to: items, zone: ZoneRules(fixedOffset: 9 * 3600, name: "Asia/Seoul")).filter(
            \.keep
        ).map(\.id)
        #expect(utc == ["late"])
        #expect(seoul == ["late", "early"])
    }

    /// Three years of hourly backups (a simulated clock, no waiting): each rule alone keeps
    /// exactly the backups a person would pick from a calendar.
    @Test func threeYearsOfHourlyBackups() {
        let start = CivilTime(rfc3339: "2024-01-01T00:00:00Z")!.unixSeconds
        let end = CivilTime(rfc3339: "2026-12-31T23:00:00Z")!.unixSeconds
        let items = stride(from: start, through: end, by: 3600).map { RetentionPolicy.Item(id: String($0), time: $0) }
        func kept(_ policy: RetentionPolicy) -> [String] {
            policy.apply(to: items).filter(\.keep).map { CivilTime(unixSeconds: Int64($0.id)!).rfc3339 }
        }
        // The last backup of each of the last 30 days: 23:00 from 2026-12-02 to 2026-12-31.
        #expect(kept(RetentionPolicy(keepDaily: 30)) == (2...31).reversed().map { String(format2: "2026-12-%02dT23:00:00Z", $0) })
        // The last backup of each of the last 12 months: 23:00 on each month's last day of 2026.
        let monthEnds = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        #expect(
            kept(RetentionPolicy(keepMonthly: 12))
                == (1...12).reversed().map { String(format2: "2026-%02d-%02dT23:00:00Z", $0, monthEnds[$0 - 1]) })
        // Three years: the last backup of 2026, 2025 and 2024.
        #expect(kept(RetentionPolicy(keepYearly: 3)) == ["2026-12-31T23:00:00Z", "2025-12-31T23:00:00Z", "2024-12-31T23:00:00Z"])
        // ISO weeks end on Sunday 23:00; 2026-12-31 is a Thursday, so its week's newest is that.
        #expect(kept(RetentionPolicy(keepWeekly: 3)) == ["2026-12-31T23:00:00Z", "2026-12-27T23:00:00Z", "2026-12-20T23:00:00Z"])
        #expect(kept(RetentionPolicy(keepHourly: 48)).count == 48)
        #expect(kept(RetentionPolicy(keepWithin: 2 * 86_400)).count == 49)
        // A typical policy: the union of its rules.
        let typical = kept(RetentionPolicy(keepHourly: 24, keepDaily: 7, keepWeekly: 4, keepMonthly: 12, keepYearly: 3))
        // 24 hours of Dec 31; days Dec 25-30 (6 more); weeks W52 (Dec 27, already a day), W51 (Dec 20)
        // and W50 (Dec 13) (2 more); the last days of Jan-Nov (11 more); 2025 and 2024 (2 more).
        #expect(typical.count == 24 + 6 + 2 + 11 + 2)
        #expect(typical.contains("2026-12-13T23:00:00Z") && typical.contains("2024-12-31T23:00:00Z"))
        #expect(!typical.contains("2026-12-24T23:00:00Z"))
    }

    /// Whatever the policy and the backups, the newest complete backup survives, and only
    /// complete ones are kept.
    @Test func theNewestCompleteBackupAlwaysSurvives() {
        var state: UInt64 = 2026
        func next(_ bound: UInt64) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % bound)
        }
        for _ in 0..<2000 {
            let items = (0..<(1 + next(40))).map { index in
                RetentionPolicy.Item(
                    id: "b\(index)", time: 1_700_000_000 + Int64(next(400 * 86_400)), isComplete: next(5) != 0, isPinned: next(10) == 0)
            }
            let policy = RetentionPolicy(
                keepLast: next(3), keepHourly: next(3), keepDaily: next(4) - 1, keepWeekly: next(3), keepMonthly: next(3),
                keepYearly: next(2),
                keepWithin: Int64(next(3)) * 86_400, keepTagged: next(2) == 0)
            let decisions = policy.apply(to: items)
            #expect(decisions.count == items.count)
            let newest = items.filter(\.isComplete).max { $0.time != $1.time ? $0.time < $1.time : $0.id < $1.id }
            if let newest { #expect(decisions.first { $0.id == newest.id }?.keep == true) }
            let incomplete = Set(items.filter { !$0.isComplete }.map(\.id))
            #expect(decisions.allSatisfy { !$0.keep || !incomplete.contains($0.id) })
        }
    }
}

extension String {
    /// Zero-padded numbers into a pattern of `%02d`s, without Foundation.
    init(format2 pattern: String, _ values: Int...) {
        var result = ""
        var rest = Substring(pattern)
        var remaining = values[...]
        while let range = rest.range(of: "%02d") {
            result += rest[..<range.lowerBound]
            let value = remaining.popFirst() ?? 0
            result += value < 10 ? "0\(value)" : "\(value)"
            rest = rest[range.upperBound...]
        }
        self = result + rest
    }
}

/// The table in docs/configuration.md ("How the rules count"), checked as written there.
@Suite struct RetentionDocumentationTests {
    let days = (1...5).map { CivilTime(rfc3339: "2026-11-0\($0)T02:00:00Z")!.unixSeconds }

    func kept(_ policy: RetentionPolicy, pinned: Set<Int> = []) -> [Int] {
        let items = days.enumerated().map {
            RetentionPolicy.Item(id: "d\($0.offset + 1)", time: $0.element, isPinned: pinned.contains($0.offset + 1))
        }
        return policy.apply(to: items).filter(\.keep).map { Int($0.id.dropFirst())! }.sorted()
    }

    @Test func theDocumentedExamplesHold() {
        #expect(kept(RetentionPolicy(keepLast: 2)) == [4, 5])
        #expect(kept(RetentionPolicy(keepDaily: 3)) == [3, 4, 5])
        #expect(kept(RetentionPolicy(keepWeekly: 1)) == [5])
        #expect(kept(RetentionPolicy(keepWeekly: 2)) == [1, 5])
        #expect(kept(RetentionPolicy(keepWithin: 2 * 86_400)) == [3, 4, 5])
        #expect(kept(RetentionPolicy(keepLast: 1), pinned: [2]) == [2, 5])
    }

    /// A bad clock stamps the middle backup in 2030. By stamps it is the newest and keep_within
    /// 7d would prune the two taken after it; by the order they were taken, it is read as no
    /// newer than the next one, and a stamp later than now counts as now.
    @Test func aBackupStampedInTheFutureDoesNotPruneTheOnesAfterIt() {
        let day: Int64 = 86_400
        let now = CivilTime(rfc3339: "2026-12-04T12:00:00Z")!.unixSeconds
        let items = [
            RetentionPolicy.Item(id: "a", time: now - 3 * day, order: 1),
            RetentionPolicy.Item(id: "future", time: CivilTime(rfc3339: "2030-01-01T00:00:00Z")!.unixSeconds, order: 2),
            RetentionPolicy.Item(id: "b", time: now - day, order: 3),
            RetentionPolicy.Item(id: "c", time: now - 3600, order: 4),
        ]
        let within = RetentionPolicy(keepWithin: 7 * day)
        let kept = within.apply(to: items, now: now).filter(\.keep).map(\.id)
        #expect(Set(kept) == ["a", "future", "b", "c"], "\(kept)")
        #expect(within.apply(to: items, now: now).first?.id == "c")  // newest: the one taken last
        // keep_last 2 keeps the two taken last, not the one stamped last.
        #expect(Set(RetentionPolicy(keepLast: 2).apply(to: items, now: now).filter(\.keep).map(\.id)) == ["b", "c"])
        // The newest taken is stamped in the future (the clock is still wrong): it counts as now.
        let ahead = items + [RetentionPolicy.Item(id: "d", time: CivilTime(rfc3339: "2031-01-01T00:00:00Z")!.unixSeconds, order: 5)]
        #expect(Set(within.apply(to: ahead, now: now).filter(\.keep).map(\.id)) == ["a", "future", "b", "c", "d"])
    }

    /// Checkpoints with a metric, oldest first (order = index), one an hour.
    static func checkpoints(_ losses: [Double?], unverified: Set<Int> = []) -> [RetentionPolicy.Item] {
        losses.enumerated().map { index, loss in
            RetentionPolicy.Item(
                id: "c\(index)", time: 1_700_000_000 + Int64(index) * 3600, order: Int64(index), metric: loss,
                isVerified: !unverified.contains(index))
        }
    }

    @Test func keepBestKeepsTheBestByTheMetricTiesToTheNewer() {
        let policy = RetentionPolicy(keepBest: .init(metric: "eval_loss", isHigherBetter: false, count: 2))
        let kept = policy.apply(to: Self.checkpoints([0.9, 0.3, 0.5, 0.3, nil, 0.7])).filter(\.keep)
        // c3 and c1 tie at 0.3: both are the best two; c5 is the newest; c4 has no metric.
        #expect(Dictionary(uniqueKeysWithValues: kept.map { ($0.id, $0.reasons) }) == ["c1": [.best], "c3": [.best], "c5": [.newest]])
        let accuracy = RetentionPolicy(keepBest: .init(metric: "accuracy", isHigherBetter: true, count: 1))
        #expect(accuracy.apply(to: Self.checkpoints([0.5, 0.8, 0.8, 0.6])).filter { $0.reasons.contains(.best) }.map(\.id) == ["c2"])
    }

    @Test func aNewBestNotYetReadBackDoesNotPushTheOldBestOut() {
        let policy = RetentionPolicy(keepBest: .init(metric: "eval_loss", isHigherBetter: false, count: 1))
        let before = policy.apply(to: Self.checkpoints([0.5, 0.4, 0.2], unverified: [2]))
        #expect(before.filter { $0.reasons.contains(.best) }.map(\.id).sorted() == ["c1", "c2"])
        let after = policy.apply(to: Self.checkpoints([0.5, 0.4, 0.2]))
        #expect(after.filter { $0.reasons.contains(.best) }.map(\.id) == ["c2"])
        #expect(after.first { $0.id == "c1" }?.keep == false)
    }

    @Test func fiftyNoisyCheckpointsKeepExactlyTheBestThreeAndTheNewest() {
        var random = SeededRandom(seed: 42)
        // A loss that falls with noise, as training does.
        let losses = (0..<50).map { step in 2.0 * exp(-Double(step) / 15) + Double.random(in: 0...0.3, using: &random) }
        let policy = RetentionPolicy(keepLast: 1, keepBest: .init(metric: "eval_loss", isHigherBetter: false, count: 3))
        let kept = Set(policy.apply(to: Self.checkpoints(losses)).filter(\.keep).map(\.id))
        let best = losses.enumerated().sorted { $0.element < $1.element }.prefix(3).map { "c\($0.offset)" }
        #expect(kept == Set(best + ["c49"]))
        #expect(RetentionPolicy(keepBest: .init(metric: "eval_loss", isHigherBetter: false, count: 3)).keepsEverything == false)
    }
}
