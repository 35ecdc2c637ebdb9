import Foundation
import PacaCatalog
import PacaConfig
import PacaCore
import PacaEngine
import PacaSystem
import PacaTestSupport
import Testing

@testable import PacaScheduler

@Suite struct SchedulerTests {
    func open(_ ws: TemporaryFolder, _ clock: ManualClock, jobs: [DaemonConfig.Job]) async throws -> (Scheduler, BackupEngine, Catalog) {
        let (catalog, _) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: clock.wall)
        var config = ws.config()
        config.jobs = jobs
        let engine = BackupEngine(config: config, catalog: catalog, clock: clock.serviceClock, logger: quietLogger)
        let scheduler = try await Scheduler.open(
            stateDirectory: ws.sub("state"), jobs: jobs, engine: engine, clock: clock.serviceClock, zones: { _ in .utc },
            logger: quietLogger)
        return (scheduler, engine, catalog)
    }

    /// Runs the engine and the scheduler's loop (which follows started backups to their end) while `body` runs.
    func running<T>(_ scheduler: Scheduler, _ engine: BackupEngine, _ body: () async throws -> T) async throws -> T {
        try await withRunning(engine) { try await withBackground({ await scheduler.run() }, body) }
    }

    func nightly() throws -> DaemonConfig.Job {
        DaemonConfig.Job(name: "nightly", set: "data", schedule: .cron(try CronExpression("0 2 * * *")))
    }

    /// Waits (for the backup thread) until the scheduler has recorded `count` events of `kind`.
    func events(_ scheduler: Scheduler, _ kind: ScheduleEvent.Kind, count: Int = 1) async throws -> [ScheduleEvent] {
        await eventually("\(count) \(kind) event(s)") { await scheduler.recentEvents().filter { $0.kind == kind }.count >= count }
        return await scheduler.recentEvents().filter { $0.kind == kind }
    }

    @Test func aDueJobStartsABackupThatRecordsItsJob() async throws {
        let ws = TemporaryFolder()
        ws.write("source/a.txt", Array("hello".utf8))
        let clock = ManualClock(wall: "2026-01-01T00:00:00Z")
        let (scheduler, engine, catalog) = try await open(ws, clock, jobs: [try nightly()])
        try await running(scheduler, engine) {
            await scheduler.tick()
            #expect(await scheduler.list().first?.nextDue == at("2026-01-01T02:00:00Z"))
            clock.advance(to: "2026-01-01T01:59:00Z")
            await scheduler.tick()
            #expect(await scheduler.recentEvents().isEmpty)
            clock.advance(to: "2026-01-01T02:00:00Z")
            await scheduler.tick()
            let completed = try await events(scheduler, .completed)
            let backupID = try #require(completed.first?.backup)
            let backup = try #require(await catalog.record(backupID))
            #expect(backup.trigger == .job("nightly"))
            #expect(backup.reason == "scheduled")
            #expect(await scheduler.recentEvents().map(\.kind) == [.fired, .completed])
            #expect(await scheduler.list().first?.lastBackup == backup.id)
        }
    }

    /// The loop sleeps on the scheduler's clock until the next job is due, and a job added while
    /// it sleeps cuts the sleep short: advancing the clock fires jobs without a `tick()` by hand.
    @Test func theLoopWakesOnItsClockAndWhenAJobIsAdded() async throws {
        let ws = TemporaryFolder()
        ws.write("source/a.txt", Array("hello".utf8))
        let clock = ManualClock(wall: "2026-01-01T00:00:30Z")
        let (scheduler, engine, catalog) = try await open(ws, clock, jobs: [])
        try await running(scheduler, engine) {
            await clock.waitForSleepers()
            _ = try await scheduler.add(DaemonConfig.Job(name: "minutely", set: "data", schedule: .cron(try CronExpression("* * * * *"))))
            #expect(await scheduler.list().first?.nextDue == at("2026-01-01T00:01:00Z"))
            clock.advance(by: .seconds(29))
            #expect(await scheduler.recentEvents().isEmpty)
            clock.advance(by: .seconds(1))
            let completed = try await events(scheduler, .completed)
            #expect(await catalog.record(completed.first?.backup ?? "")?.trigger == .job("minutely"))
        }
    }

    @Test func aRestartAfterMissedSlotsCatchesUpOnceAndKeepsTheHistory() async throws {
        let ws = TemporaryFolder()
        ws.write("source/a.txt", Array("hello".utf8))
        let clock = ManualClock(wall: "2026-01-01T00:00:00Z")
        do {
            let (scheduler, engine, _) = try await open(ws, clock, jobs: [try nightly()])
            try await running(scheduler, engine) {
                await scheduler.tick()
                clock.advance(to: "2026-01-01T02:00:00Z")
                await scheduler.tick()
                _ = try await events(scheduler, .completed)
                // The event is saved right after it is recorded; wait for the file to have it.
                await eventually("schedule.json to hold the completed event") {
                    String(decoding: ws.read("state/schedule.json") ?? [], as: UTF8.self).contains("\"completed\"")
                }
            }
        }
        // pacad was down until the 5th at noon.
        clock.advance(to: "2026-01-05T12:00:00Z")
        let (scheduler, engine, catalog) = try await open(ws, clock, jobs: [try nightly()])
        try await running(scheduler, engine) {
            await scheduler.tick()
            await scheduler.tick()
            _ = try await events(scheduler, .completed, count: 2)
            let kinds = await scheduler.recentEvents().map(\.kind)
            #expect(kinds == [.fired, .completed, .caughtUp, .completed])
            #expect(await scheduler.recentEvents()[2].detail == "catch-up for 4 missed slot(s)")
            #expect(await catalog.count == 2)
            #expect(await scheduler.list().first?.nextDue == at("2026-01-06T02:00:00Z"))
        }
    }

    @Test func jobsAddedAtRunTimeFirePersistAndCanBeRemoved() async throws {
        let ws = TemporaryFolder()
        ws.write("source/a.txt", Array("hello".utf8))
        let clock = ManualClock(wall: "2026-01-01T00:00:00Z")
        let (scheduler, engine, _) = try await open(ws, clock, jobs: [try nightly()])
        try await running(scheduler, engine) {
            let added = try await scheduler.add(DaemonConfig.Job(name: "hourly", set: "data", schedule: .every(3600)))
            #expect(added.origin == .runtime && added.nextDue == at("2026-01-01T01:00:00Z"))
            await #expect(throws: EngineError.self) {
                try await scheduler.add(DaemonConfig.Job(name: "hourly", set: "data", schedule: .every(60)))
            }
            clock.advance(to: "2026-01-01T01:00:00Z")
            await scheduler.tick()
            _ = try await events(scheduler, .completed)
        }
        // The job is still there after a restart.
        let (reopened, _, _) = try await open(ws, clock, jobs: [try nightly()])
        #expect(await reopened.list().map(\.name) == ["hourly", "nightly"])
        #expect(await reopened.list().first?.nextDue == at("2026-01-01T02:00:00Z"))
        await #expect(throws: EngineError.self) { try await reopened.remove("nightly") }
        _ = try await reopened.remove("hourly")
        #expect(await reopened.list().map(\.name) == ["nightly"])
    }

    @Test func pausedJobsStayQuietUntilResumed() async throws {
        let ws = TemporaryFolder()
        ws.write("source/a.txt", Array("hello".utf8))
        let clock = ManualClock(wall: "2026-01-01T00:00:00Z")
        let (scheduler, _, _) = try await open(ws, clock, jobs: [try nightly()])
        await scheduler.tick()
        _ = try await scheduler.pause("nightly")
        clock.advance(to: "2026-01-03T12:00:00Z")
        await scheduler.tick()
        #expect(await scheduler.recentEvents().isEmpty)
        let resumed = try await scheduler.resume("nightly")
        #expect(resumed.nextDue == at("2026-01-04T02:00:00Z"))
        await #expect(throws: EngineError.self) { try await scheduler.pause("nope") }
    }

    @Test func runNowStartsTheJobOutsideItsSchedule() async throws {
        let ws = TemporaryFolder()
        ws.write("source/a.txt", Array("hello".utf8))
        let clock = ManualClock(wall: "2026-01-01T00:00:00Z")
        let (scheduler, engine, _) = try await open(ws, clock, jobs: [try nightly()])
        try await running(scheduler, engine) {
            let ticket = try await scheduler.runNow("nightly")
            let record = try await engine.outcome(of: ticket)
            #expect(record.trigger == .job("nightly") && record.reason == "run now")
            await #expect(throws: EngineError.self) { try await scheduler.runNow("nope") }
        }
    }
}

/// Unix seconds of an RFC 3339 time.
func at(_ text: String) -> Int64 { CivilTime(rfc3339: text)!.unixSeconds }
