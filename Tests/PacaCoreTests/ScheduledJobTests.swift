import Foundation
import Testing

@testable import PacaCore

private func instant(_ text: String) -> Int64 { CivilTime(rfc3339: text)!.unixSeconds }
private func text(_ seconds: Int64) -> String { CivilTime(unixSeconds: seconds).rfc3339 }

@Suite struct DurationTextTests {
    @Test(arguments: [("90s", Int64(90)), ("30m", 1800), ("6h", 21_600), ("1d", 86_400), ("2w", 1_209_600), ("1h30m", 5400)])
    func parsesDurations(text: String, seconds: Int64) {
        #expect(DurationText.seconds(text) == seconds)
    }

    @Test(arguments: ["", "6", "h", "6x", "-1h", "1.5h", "0s", "6 h", "99999999999999999999d", "11000d"])
    func refusesWhatIsNotAPositiveDuration(text: String) {
        #expect(DurationText.seconds(text) == nil)
    }

    @Test func formatsTheShortestForm() {
        #expect(DurationText.format(90) == "1m30s")
        #expect(DurationText.format(21_600) == "6h")
        #expect(DurationText.format(694_800) == "1w1d1h")
    }
}

/// The scheduler's decisions, driven by a simulated clock: no sleeping, years in milliseconds.
@Suite struct ScheduledJobTests {
    func daily() throws -> ScheduledJob {
        ScheduledJob(name: "nightly", set: "training", schedule: .cron(try CronExpression("0 2 * * *")))
    }

    /// Polls the job at each due time for `days` days, ending each run at once.
    func simulate(_ job: inout ScheduledJob, from start: Int64, until end: Int64, delay: () -> Int64 = { 0 }) -> [Int64] {
        _ = job.poll(now: start, zone: .utc)
        var runs: [Int64] = []
        while let due = job.nextDue, due <= end {
            if case .run = job.poll(now: due, zone: .utc, delay: delay()) { runs.append(due) }
            job.runEnded()
        }
        return runs
    }

    @Test func tenYearsOfDailyRunsInMilliseconds() throws {
        var job = try daily()
        let runs = simulate(&job, from: instant("2026-01-01T00:00:00Z"), until: instant("2035-12-31T23:59:59Z"))
        #expect(runs.count == 3652)
        #expect(runs.allSatisfy { CivilTime(unixSeconds: $0).hour == 2 && CivilTime(unixSeconds: $0).minute == 0 })
        #expect(text(runs.last!) == "2035-12-31T02:00:00Z")
    }

    @Test func missedSlotsRunOnceAsACatchUp() throws {
        var job = try daily()
        _ = simulate(&job, from: instant("2026-01-01T00:00:00Z"), until: instant("2026-01-01T03:00:00Z"))
        #expect(job.lastSlot.map(text) == "2026-01-01T02:00:00Z")
        // The daemon was down from the 1st to the 6th at noon: slots of the 2nd-6th were missed.
        #expect(job.poll(now: instant("2026-01-06T12:00:00Z"), zone: .utc) == .run(catchUp: true, missed: 5))
        job.runEnded()
        #expect(job.nextDue.map(text) == "2026-01-07T02:00:00Z")
        #expect(job.poll(now: instant("2026-01-06T12:30:00Z"), zone: .utc) == nil)
    }

    @Test func withoutCatchUpMissedSlotsAreSkippedAndRecorded() throws {
        var job = try daily()
        job.catchUp = false
        _ = simulate(&job, from: instant("2026-01-01T00:00:00Z"), until: instant("2026-01-01T03:00:00Z"))
        #expect(job.poll(now: instant("2026-01-06T12:00:00Z"), zone: .utc) == .skipMissed(5))
        #expect(!job.isRunning)
        #expect(job.nextDue.map(text) == "2026-01-07T02:00:00Z")
    }

    @Test func aTimerThatWakesALittleLateStillRunsOnTime() throws {
        var job = try daily()
        _ = job.poll(now: instant("2026-01-01T00:00:00Z"), zone: .utc)
        #expect(job.poll(now: instant("2026-01-01T02:00:30Z"), zone: .utc) == .run(catchUp: false, missed: 0))
    }

    @Test func aJobNeverOverlapsItself() throws {
        var job = ScheduledJob(name: "frequent", set: "training", schedule: .cron(try CronExpression("*/10 * * * *")))
        _ = job.poll(now: instant("2026-01-01T00:00:00Z"), zone: .utc)
        #expect(job.poll(now: instant("2026-01-01T00:10:00Z"), zone: .utc) == .run(catchUp: false, missed: 0))
        // Still running at the next two slots.
        #expect(job.poll(now: instant("2026-01-01T00:20:00Z"), zone: .utc) == .skipBusy)
        #expect(job.poll(now: instant("2026-01-01T00:30:00Z"), zone: .utc) == .skipBusy)
        job.runEnded()
        #expect(job.poll(now: instant("2026-01-01T00:40:00Z"), zone: .utc) == .run(catchUp: false, missed: 0))
        #expect(job.lastSlot.map(text) == "2026-01-01T00:40:00Z")
    }

    @Test func pausedJobsDoNotRunAndResumeFromTheNextSlotWithoutCatchingUp() throws {
        var job = try daily()
        _ = job.poll(now: instant("2026-01-01T00:00:00Z"), zone: .utc)
        job.pause()
        #expect(job.poll(now: instant("2026-01-03T12:00:00Z"), zone: .utc) == nil)
        job.resume(now: instant("2026-01-03T12:00:00Z"), zone: .utc)
        #expect(job.nextDue.map(text) == "2026-01-04T02:00:00Z")
        #expect(job.poll(now: instant("2026-01-03T12:00:01Z"), zone: .utc) == nil)
    }

    @Test func intervalsKeepTheirGridAcrossARestart() throws {
        var job = ScheduledJob(name: "frequent", set: "training", schedule: .every(6 * 3600))
        let start = instant("2026-01-01T00:00:00Z")
        _ = job.poll(now: start, zone: .utc)
        #expect(job.nextDue.map(text) == "2026-01-01T06:00:00Z")
        #expect(job.poll(now: instant("2026-01-01T06:00:00Z"), zone: .utc) == .run(catchUp: false, missed: 0))
        job.runEnded()
        // Persisted and reloaded, then the daemon is back at 13:00: the 12:00 slot runs late, once,
        // and the grid stays 18:00, 00:00, ... rather than restarting from 13:00.
        let saved = try JSONEncoder().encode(job)
        var reloaded = try JSONDecoder().decode(ScheduledJob.self, from: saved)
        #expect(reloaded == job)
        #expect(reloaded.poll(now: instant("2026-01-01T13:00:00Z"), zone: .utc) == .run(catchUp: true, missed: 1))
        reloaded.runEnded()
        #expect(reloaded.nextDue.map(text) == "2026-01-01T18:00:00Z")
    }

    @Test func jitterDelaysEachRunWithinItsBoundWithoutMovingTheGrid() throws {
        var job = ScheduledJob(name: "jittered", set: "training", schedule: .every(3600), jitter: 300)
        var generator = SystemRandomNumberGenerator()
        var slots: [Int64] = []
        var runs: [Int64] = []
        let start = instant("2026-01-01T00:00:00Z")
        _ = job.poll(now: start, zone: .utc, delay: Int64.random(in: 0...300, using: &generator))
        while let due = job.nextDue, due < start + 1000 * 3600 {
            let slot = job.nextSlot!
            if case .run = job.poll(now: due, zone: .utc, delay: Int64.random(in: 0...300, using: &generator)) {
                slots.append(slot)
                runs.append(due)
            }
            job.runEnded()
        }
        #expect(runs.count == 999)
        #expect(zip(slots, runs).allSatisfy { $1 - $0 >= 0 && $1 - $0 <= 300 })
        #expect(zip(slots, slots.dropFirst()).allSatisfy { $1 - $0 == 3600 })
        // A delay larger than the bound is clamped to it.
        var clamped = ScheduledJob(name: "c", set: "s", schedule: .every(3600), jitter: 60)
        _ = clamped.poll(now: start, zone: .utc, delay: 10_000)
        #expect(clamped.nextDue == start + 3600 + 60)
    }

    @Test func aCronThatNeverFiresNeverComesDue() throws {
        var job = ScheduledJob(name: "never", set: "s", schedule: .cron(try CronExpression("0 0 31 2 *")))
        #expect(job.poll(now: 0, zone: .utc) == nil)
        #expect(job.nextDue == nil)
        #expect(job.poll(now: instant("2030-01-01T00:00:00Z"), zone: .utc) == nil)
    }
}
