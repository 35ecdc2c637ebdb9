import Foundation
import PacaCatalog
import PacaConfig
import PacaCore
import PacaEngine
import PacaTestSupport
import Testing

@testable import PacaWatch

@Suite struct ChangeTriggerTests {
    @Test func changesCountForTheSetsThatWatchThemUnlessExcluded() throws {
        let set = DaemonConfig.BackupSet(
            name: "configs", paths: ["/srv/ml"], excludes: [try PathPattern("*.swp"), try PathPattern("cfg/cache/")], targets: ["local"],
            triggers: [.configChange], watch: ["/srv/ml/cfg", "/etc/paca/train.yaml"])
        #expect(ChangeTrigger.counts("/srv/ml/cfg/train.yaml", isDirectory: false, for: set))
        #expect(ChangeTrigger.counts("/srv/ml/cfg", isDirectory: true, for: set))
        #expect(ChangeTrigger.counts("/etc/paca/train.yaml", isDirectory: false, for: set))
        #expect(!ChangeTrigger.counts("/etc/paca/other.yaml", isDirectory: false, for: set))
        #expect(!ChangeTrigger.counts("/srv/ml/cfgx/a", isDirectory: false, for: set))
        #expect(!ChangeTrigger.counts("/srv/ml/cfg/.train.yaml.swp", isDirectory: false, for: set))
        #expect(!ChangeTrigger.counts("/srv/ml/cfg/cache/x/y.bin", isDirectory: false, for: set))
    }
    /// A burst of saves makes one backup once the quiet period has passed on the trigger's clock,
    /// and none before: time is the test's, not the machine's.
    @Test func aBurstBecomesOneBackupWhenTheQuietPeriodEndsOnTheClock() async throws {
        let ws = TemporaryFolder()
        ws.write("source/cfg/train.yaml", "lr: 0\n")
        let clock = ManualClock()
        var config = ws.config()
        config.sets[0].triggers = [.configChange]
        config.sets[0].watch = [ws.sub("source/cfg")]
        config.sets[0].debounce = 5
        let (catalog, _) = try await Catalog.open(stateDirectory: ws.sub("state"), clock: clock.wall)
        let engine = BackupEngine(config: config, catalog: catalog, clock: clock.serviceClock, logger: quietLogger)
        let trigger = ChangeTrigger(engine: engine, clock: clock.serviceClock, logger: quietLogger)
        await trigger.apply(config)
        try await withRunning(engine) {
            try await withBackground({ await trigger.run() }) {
                for index in 1...5 { ws.write("source/cfg/train.yaml", "lr: 0.\(index)\n") }
                // inotify keeps order: once the sentinel's change is seen, so is every save before it.
                ws.write("source/cfg/zz-sentinel", "")
                await eventually("the changes to be seen") {
                    await trigger.snapshot().first?.lastChange == ws.sub("source/cfg/zz-sentinel")
                }
                clock.advance(by: .seconds(4))
                #expect(await catalog.count == 0)
                clock.advance(by: .seconds(1))
                await eventually("one backup") { await catalog.list().first?.status == .complete }
                let backup = try #require(await catalog.list().first)
                #expect(backup.trigger == .configChange)
                #expect(backup.reason?.contains(ws.sub("source/cfg/")) == true, "\(backup.reason ?? "")")
                #expect(await trigger.snapshot().first?.dueIn == nil)
                #expect(await catalog.count == 1)
            }
        }
    }
}
