import Foundation
import PacaCatalog
import PacaConfig
import PacaEngine
import PacaScheduler
import PacaTestSupport
import PacaWatch
import Synchronization
import Testing

@testable import PacaDaemon

@Suite struct ConfigurationStoreTests {
    /// Counts the loads in progress and the most there ever were at once.
    final class LoadProbe: Sendable {
        private let state = Mutex((active: 0, most: 0, total: 0))
        func enter() {
            state.withLock {
                $0.active += 1; $0.most = max($0.most, $0.active); $0.total += 1
            }
        }
        func leave() { state.withLock { $0.active -= 1 } }
        var most: Int { state.withLock { $0.most } }
        var total: Int { state.withLock { $0.total } }
    }

    /// A SIGHUP and a `daemon.reload` (or any two reloads) never interleave: each reads the file
    /// and applies it to the engine, the scheduler and the watcher before the next one starts.
    @Test func reloadsRunOneAtATimeWhole() async throws {
        let ws = TemporaryFolder()
        let config = ws.config()
        let clock = ManualClock()
        let (catalog, _) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: clock.wall)
        let engine = BackupEngine(config: config, catalog: catalog, clock: clock.serviceClock, logger: quietLogger)
        let scheduler = try await Scheduler.open(
            stateDirectory: ws.sub("state"), jobs: [], engine: engine, clock: clock.serviceClock, zones: { _ in .utc }, logger: quietLogger)
        let changes = ChangeTrigger(engine: engine, clock: clock.serviceClock, logger: quietLogger)
        let probe = LoadProbe()
        let store = ConfigurationStore(
            config: config, file: ws.sub("pacad.yaml"), engine: engine, scheduler: scheduler, changes: changes, clock: clock.serviceClock,
            logger: quietLogger,
            load: { _ in
                probe.enter()
                // A read that takes a while: other reloads get every chance to start meanwhile.
                for _ in 0..<20 { await Task.yield() }
                probe.leave()
                return .success(config)
            })
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 { group.addTask { _ = try? await store.reload() } }
        }
        #expect(probe.total == 8)
        #expect(probe.most == 1)
    }
}
