import PacaTestSupport
import Synchronization
import Testing

@testable import PacaSystem

@Suite struct TimeTests {
    @Test func aServiceClockSleepsOnlyAsFarAsTheTestAdvancesIt() async throws {
        let manual = ManualClock(wall: "2026-11-27T02:00:00Z")
        let clock = manual.serviceClock
        #expect(clock.now() == 1_795_744_800)
        try await withBackground({ try? await clock.sleep(for: .seconds(10)) }) {
            await manual.waitForSleepers()
            manual.advance(by: .seconds(9))
            #expect(manual.sleeperCount == 1)
            manual.advance(by: .seconds(1))
            #expect(manual.sleeperCount == 0)
        }
        #expect(clock.now() == 1_795_744_810)
        #expect(clock.uptime == .seconds(10))
    }

    @Test func aTimeoutGivesUpWhenTheClockSaysSo() async {
        let manual = ManualClock()
        let clock = manual.serviceClock
        let gate = Alarm()
        async let result = clock.withTimeout(.seconds(5)) { await gate.sleep(for: .seconds(3600), on: ServiceClock.system) }
        await manual.waitForSleepers()
        manual.advance(by: .seconds(5))
        #expect(await result == nil)
        #expect(await clock.withTimeout(.seconds(5)) { 42 } == 42)
    }

    /// A wake cuts a sleep short, and one that comes before the sleep is not lost.
    @Test func anAlarmWakesASleepNowOrTheNextOne() async throws {
        let manual = ManualClock()
        let alarm = Alarm()
        alarm.wake()
        await alarm.sleep(for: .seconds(3600), on: manual.serviceClock)  // returns at once
        try await withBackground({ await alarm.sleep(for: .seconds(3600), on: manual.serviceClock) }) {
            await manual.waitForSleepers()
            alarm.wake()
        }
        #expect(manual.sleeperCount == 0)
    }

    /// Operations through a gate never overlap and go in the order they arrived.
    @Test func aGateLetsOneOperationThroughAtATimeInOrder() async {
        let gate = SerialGate()
        let log = Log()
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<20 {
                group.addTask {
                    await gate.run {
                        log.append("in \(index)")
                        await Task.yield()
                        await Task.yield()
                        log.append("out \(index)")
                    }
                }
            }
        }
        let entries = log.entries
        #expect(entries.count == 40)
        for pair in stride(from: 0, to: entries.count, by: 2) {
            #expect(entries[pair].dropFirst(3) == entries[pair + 1].dropFirst(4), "\(entries)")
        }
    }
}

final class Log: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var entries: [String] { lines.withLock { $0 } }
}
