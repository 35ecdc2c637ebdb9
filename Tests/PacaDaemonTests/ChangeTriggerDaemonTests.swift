import Foundation
import Testing

/// The config_change trigger through a real pacad: inotify, the quiet period and the engine.
@Suite(.serialized) struct ChangeTriggerDaemonTests {
    static func backups(_ daemon: DaemonHarness) throws -> [[String: Any]] {
        (try daemon.rpc("backup.list")["result"] as? [String: Any])?["backups"] as? [[String: Any]] ?? []
    }

    /// Waits (up to 30 s) until `count` backups are complete.
    static func waitForBackups(_ daemon: DaemonHarness, count: Int) throws -> [[String: Any]] {
        var found: [[String: Any]] = []
        for _ in 0..<600 {
            found = try backups(daemon)
            if found.filter({ $0["status"] as? String == "complete" }).count >= count { return found }
            usleep(50_000)
        }
        Issue.record("waited for \(count) backups; found \(found)")
        return found
    }

    /// Saves `name` the way editors do: a temporary file written, then renamed over the original.
    static func save(_ daemon: DaemonHarness, _ name: String, _ text: String) throws {
        let path = daemon.source + "/" + name
        let temporary = (path as NSString).deletingLastPathComponent + "/." + (path as NSString).lastPathComponent + ".tmp"
        try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
        #expect(rename(temporary, path) == 0)
    }

    @Test func aBurstOfTwentySavesMakesExactlyOneBackup() throws {
        let daemon = try DaemonHarness()
        daemon.write("configs/train.yaml", Array("lr: 0\n".utf8))
        daemon.write("data/part-0.jsonl", Array("{}\n".utf8))
        try daemon.writeConfig(
            sets: """
                  data:
                    paths: [\(daemon.source)]
                    exclude: ["*.swp"]
                    triggers: [config_change]
                    watch: [\(daemon.source)/configs]
                    debounce: 2s
                """)
        try daemon.start()
        let status = try daemon.pacactl(["status", "--json"]).json
        let watch = ((status["sets"] as? [[String: Any]])?.first?["watch"] as? [String: Any]) ?? [:]
        #expect(watch["paths"] as? [String] == [daemon.source + "/configs"])
        #expect(watch["debounce_seconds"] as? Int == 2)

        for index in 1...20 {
            try Self.save(daemon, "configs/train.yaml", "lr: 0.\(index)\n")
            usleep(40_000)
        }
        #expect(try daemon.pacactl(["status"]).stdout.contains("config_change"))
        let first = try Self.waitForBackups(daemon, count: 1)
        #expect(first.count == 1)
        #expect(first.first?["trigger"] as? String == "config_change")
        #expect((first.first?["reason"] as? String)?.contains("/configs/") == true)

        // Twice the quiet period later there is still one backup, and an excluded swap file
        // (vim's) in the watched folder does not make another.
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: daemon.source + "/configs/.train.yaml.swp"))
        usleep(4_500_000)
        let settled = try Self.backups(daemon)
        #expect(settled.count == 1, "\(settled.map { $0["reason"] ?? "" })")

        // The file replaced twenty times over is still watched.
        try Self.save(daemon, "configs/train.yaml", "lr: 1\n")
        let second = try Self.waitForBackups(daemon, count: 2)
        #expect(second.count == 2)
        #expect(second.last?["trigger"] as? String == "config_change")
        daemon.stop()
    }

    @Test func theTriggerCanBeFiredByHandAndOnlyForSetsThatTakeIt() throws {
        let daemon = try DaemonHarness()
        daemon.write("configs/train.yaml", Array("lr: 0\n".utf8))
        try daemon.writeConfig(
            sets: """
                  configs:
                    paths: [\(daemon.source)]
                    triggers: [config_change]
                    watch: [\(daemon.source)/configs/train.yaml]
                  other:
                    paths: [\(daemon.source)]
                """)
        try daemon.start()
        let fired = try daemon.pacactl(["trigger", "config-change", "--reason", "new sweep", "--json"])
        #expect(fired.status == 0, "\(fired.stderr)")
        let backups = fired.json["backups"] as? [[String: Any]] ?? []
        #expect(backups.map { $0["set"] as? String } == ["configs"])
        #expect(backups.first?["trigger"] as? String == "config_change" && backups.first?["reason"] as? String == "new sweep")

        let refused = try daemon.pacactl(["trigger", "config-change", "--set", "other"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains(#"set "other" does not take the config_change trigger"#), "\(refused.stderr)")
        let none = try daemon.pacactl(["trigger", "training-start"])
        #expect(none.status == 1 && none.stderr.contains("no set takes the training_start trigger"), "\(none.stderr)")
        daemon.stop()
    }

    @Test func aReloadStartsWatchingWhatTheNewConfigNames() throws {
        let daemon = try DaemonHarness()
        daemon.write("configs/train.yaml", Array("lr: 0\n".utf8))
        try daemon.start()
        try daemon.writeConfig(
            sets: """
                  data:
                    paths: [\(daemon.source)]
                    triggers: [config_change]
                    watch: [\(daemon.source)/configs]
                    debounce: 1s
                """)
        let reloaded = try daemon.pacactl(["reload"])
        #expect(reloaded.status == 0 && reloaded.stdout.contains("sets: data"), "\(reloaded.stderr)")
        try Self.save(daemon, "configs/train.yaml", "lr: 2\n")
        let found = try Self.waitForBackups(daemon, count: 1)
        #expect(found.first?["trigger"] as? String == "config_change")
        daemon.stop()
    }

    @Test func aWatchedFolderMissingAtStartIsWatchedAfterAReload() throws {
        let daemon = try DaemonHarness()
        daemon.write("a.txt", Array("hello".utf8))
        try daemon.writeConfig(
            sets: """
                  data:
                    paths: [\(daemon.source)]
                    triggers: [config_change]
                    watch: [\(daemon.source)/later/cfg/train.yaml]
                    debounce: 1s
                """)
        try daemon.start()
        var logged = false
        for _ in 0..<200 where !logged {
            logged = daemon.log().contains("does not exist")
            if !logged { usleep(25_000) }
        }
        #expect(logged, "the missing folder is logged")
        daemon.write("later/cfg/train.yaml", Array("lr: 0\n".utf8))
        #expect(try daemon.pacactl(["reload"]).status == 0)
        try Self.save(daemon, "later/cfg/train.yaml", "lr: 1\n")
        let found = try Self.waitForBackups(daemon, count: 1)
        #expect(found.first?["trigger"] as? String == "config_change")
        daemon.stop()
    }
}
