import Foundation
import PacaConfig
import PacaCore
import Synchronization
import Testing

@testable import PacaEngine

/// A wall clock the test moves by hand.
final class ManualClock: Sendable {
    private let seconds: Mutex<Double>
    init(_ text: String) { seconds = Mutex(Double(CivilTime(rfc3339: text)!.unixSeconds)) }
    func set(_ text: String) { seconds.withLock { $0 = Double(CivilTime(rfc3339: text)!.unixSeconds) } }
    var clock: WallClock { WallClock { [self] in seconds.withLock { $0 } } }
}

@Suite struct SchedulerTests {
    func open(_ ws: Workspace, _ clock: ManualClock, jobs: [DaemonConfig.Job]) async throws -> (Scheduler, BackupEngine, Catalog) {
        let (catalog, _) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: clock.clock)
        var config = ws.config()
        config.jobs = jobs
        let engine = BackupEngine(config: config, catalog: catalog, clock: clock.clock, logger: quietLogger)
        let scheduler = try await Scheduler.open(
            stateDirectory: ws.sub("state"), jobs: jobs, engine: engine, clock: clock.clock, zones: { _ in .utc }, logger: quietLogger)
        return (scheduler, engine, catalog)
    }

    func nightly() throws -> DaemonConfig.Job {
        DaemonConfig.Job(name: "nightly", set: "data", schedule: .cron(try CronExpression("0 2 * * *")))
    }

    /// Waits (briefly, for the backup thread) until the scheduler has recorded `count` events of `kind`.
    func events(_ scheduler: Scheduler, _ kind: ScheduleEvent.Kind, count: Int = 1) async throws -> [ScheduleEvent] {
        for _ in 0..<500 {
            let found = await scheduler.recentEvents().filter { $0.kind == kind }
            if found.count >= count { return found }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("no \(kind) event; events: \(await scheduler.recentEvents())")
        return []
    }

    @Test func aDueJobStartsABackupThatRecordsItsJob() async throws {
        let ws = Workspace()
        ws.write("source/a.txt", Array("hello".utf8))
        let clock = ManualClock("2026-01-01T00:00:00Z")
        let (scheduler, _, catalog) = try await open(ws, clock, jobs: [try nightly()])
        await scheduler.tick()
        #expect(await scheduler.list().first?.nextDue == "2026-01-01T02:00:00Z")
        clock.set("2026-01-01T01:59:00Z")
        await scheduler.tick()
        #expect(await scheduler.recentEvents().isEmpty)
        clock.set("2026-01-01T02:00:00Z")
        await scheduler.tick()
        let completed = try await events(scheduler, .completed)
        let backupID = try #require(completed.first?.backup)
        let backup = try #require(await catalog.record(backupID))
        #expect(backup.trigger == "job:nightly")
        #expect(backup.reason == "scheduled")
        #expect(await scheduler.recentEvents().map(\.kind) == [.fired, .completed])
        #expect(await scheduler.list().first?.lastBackup == backup.id)
    }

    @Test func aRestartAfterMissedSlotsCatchesUpOnceAndKeepsTheHistory() async throws {
        let ws = Workspace()
        ws.write("source/a.txt", Array("hello".utf8))
        let clock = ManualClock("2026-01-01T00:00:00Z")
        do {
            let (scheduler, _, _) = try await open(ws, clock, jobs: [try nightly()])
            await scheduler.tick()
            clock.set("2026-01-01T02:00:00Z")
            await scheduler.tick()
            _ = try await events(scheduler, .completed)
            // The event is saved right after it is recorded; wait for the file to have it.
            for _ in 0..<500 {
                let text = String(decoding: FileManager.default.contents(atPath: ws.sub("state/schedule.json")) ?? Data(), as: UTF8.self)
                if text.contains("\"completed\"") { break }
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        // pacad was down until the 5th at noon.
        clock.set("2026-01-05T12:00:00Z")
        let (scheduler, _, catalog) = try await open(ws, clock, jobs: [try nightly()])
        await scheduler.tick()
        await scheduler.tick()
        _ = try await events(scheduler, .completed, count: 2)
        let kinds = await scheduler.recentEvents().map(\.kind)
        #expect(kinds == [.fired, .completed, .caughtUp, .completed])
        #expect(await scheduler.recentEvents()[2].detail == "catch-up for 4 missed slot(s)")
        #expect(await catalog.count == 2)
        #expect(await scheduler.list().first?.nextDue == "2026-01-06T02:00:00Z")
    }

    @Test func jobsAddedAtRunTimeFirePersistAndCanBeRemoved() async throws {
        let ws = Workspace()
        ws.write("source/a.txt", Array("hello".utf8))
        let clock = ManualClock("2026-01-01T00:00:00Z")
        let (scheduler, _, _) = try await open(ws, clock, jobs: [try nightly()])
        let added = try await scheduler.add(DaemonConfig.Job(name: "hourly", set: "data", schedule: .every(3600)))
        #expect(added.origin == "runtime" && added.nextDue == "2026-01-01T01:00:00Z")
        await #expect(throws: EngineError.self) {
            try await scheduler.add(DaemonConfig.Job(name: "hourly", set: "data", schedule: .every(60)))
        }
        clock.set("2026-01-01T01:00:00Z")
        await scheduler.tick()
        _ = try await events(scheduler, .completed)
        // The job is still there after a restart.
        let (reopened, _, _) = try await open(ws, clock, jobs: [try nightly()])
        #expect(await reopened.list().map(\.name) == ["hourly", "nightly"])
        #expect(await reopened.list().first?.nextDue == "2026-01-01T02:00:00Z")
        await #expect(throws: EngineError.self) { try await reopened.remove("nightly") }
        _ = try await reopened.remove("hourly")
        #expect(await reopened.list().map(\.name) == ["nightly"])
    }

    @Test func pausedJobsStayQuietUntilResumed() async throws {
        let ws = Workspace()
        ws.write("source/a.txt", Array("hello".utf8))
        let clock = ManualClock("2026-01-01T00:00:00Z")
        let (scheduler, _, _) = try await open(ws, clock, jobs: [try nightly()])
        await scheduler.tick()
        _ = try await scheduler.pause("nightly")
        clock.set("2026-01-03T12:00:00Z")
        await scheduler.tick()
        #expect(await scheduler.recentEvents().isEmpty)
        let resumed = try await scheduler.resume("nightly")
        #expect(resumed.nextDue == "2026-01-04T02:00:00Z")
        await #expect(throws: EngineError.self) { try await scheduler.pause("nope") }
    }

    @Test func runNowStartsTheJobOutsideItsSchedule() async throws {
        let ws = Workspace()
        ws.write("source/a.txt", Array("hello".utf8))
        let clock = ManualClock("2026-01-01T00:00:00Z")
        let (scheduler, engine, _) = try await open(ws, clock, jobs: [try nightly()])
        let ticket = try await scheduler.runNow("nightly")
        let record = try await engine.outcome(of: ticket)
        #expect(record.trigger == "job:nightly" && record.reason == "run now")
        await #expect(throws: EngineError.self) { try await scheduler.runNow("nope") }
    }
}
