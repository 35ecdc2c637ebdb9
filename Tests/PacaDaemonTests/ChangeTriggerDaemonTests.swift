import Foundation
import PacaClient
import PacaProtocol
import PacaTestSupport
import Testing

/// The config_change trigger through a real pacad: inotify, the quiet period and the engine.
@Suite(.serialized) struct ChangeTriggerDaemonTests {
    static func backups(_ socket: String) async throws -> [Backup] {
        try await PacaClient(socket: socket).call(Methods.backupList).backups
    }

    /// Waits until `count` backups are complete and returns every backup.
    static func waitForBackups(_ daemon: DaemonFolder, count: Int) async throws -> [Backup] {
        await eventually("\(count) complete backup(s)") {
            ((try? await backups(daemon.socket)) ?? []).filter { $0.status == .complete }.count >= count
        }
        return try await backups(daemon.socket)
    }

    /// Saves `name` the way editors do: a temporary file written, then renamed over the original.
    static func save(_ daemon: DaemonFolder, _ name: String, _ text: String) throws {
        let path = daemon.source + "/" + name
        let temporary = (path as NSString).deletingLastPathComponent + "/." + (path as NSString).lastPathComponent + ".tmp"
        try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
        #expect(rename(temporary, path) == 0)
    }

    /// Writes `name` and waits until the daemon has seen it: inotify keeps order, so every change
    /// made before it has been seen too.
    static func writeAndWaitUntilSeen(_ daemon: DaemonFolder, _ name: String) async {
        daemon.write(name, Array("sentinel\n".utf8))
        await eventually("a change of \(name) to be seen") {
            (try? await PacaClient(socket: daemon.socket).call(Methods.daemonStatus))?.sets.first?.watch?.lastChange == daemon.source + "/"
                + name
        }
    }

    /// Twenty saves in a burst make one backup once the quiet period has passed on the daemon's
    /// clock; an excluded swap file makes none; a later save makes the next.
    @Test func aBurstOfTwentySavesMakesExactlyOneBackup() async throws {
        let daemon = try InProcessDaemon()
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
        try await daemon.run { _ in
            let watch = try #require(try await daemon.call(Methods.daemonStatus).sets.first?.watch)
            #expect(watch.paths == [daemon.source + "/configs"] && watch.debounceSeconds == 2)

            for index in 1...20 { try Self.save(daemon, "configs/train.yaml", "lr: 0.\(index)\n") }
            await Self.writeAndWaitUntilSeen(daemon, "configs/zz-first")
            let status = try await daemon.pacactl(["status"])
            #expect(status.stdout.contains("changes seen; backup in 2 s"), "\(status.stdout)")
            daemon.clock.advance(by: .seconds(1))
            let none = try await Self.backups(daemon.socket)
            #expect(none.isEmpty)
            daemon.clock.advance(by: .seconds(1))
            let first = try await Self.waitForBackups(daemon, count: 1)
            #expect(first.count == 1)
            #expect(first.first?.trigger == "config_change")
            #expect(first.first?.reason?.contains("/configs/") == true)

            // The swap file vim writes does not count; the file replaced twenty times is still watched.
            try Data([1, 2, 3]).write(to: URL(fileURLWithPath: daemon.source + "/configs/.train.yaml.swp"))
            try Self.save(daemon, "configs/train.yaml", "lr: 1\n")
            await Self.writeAndWaitUntilSeen(daemon, "configs/zz-second")
            daemon.clock.advance(by: .seconds(2))
            let second = try await Self.waitForBackups(daemon, count: 2)
            #expect(second.count == 2)
            #expect(second.last?.trigger == "config_change")
            #expect(second.last?.reason?.contains(".swp") == false, "\(second.last?.reason ?? "")")
        }
    }

    @Test func theTriggerCanBeFiredByHandAndOnlyForSetsThatTakeIt() async throws {
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
        try await daemon.start()
        let fired = try await daemon.pacactl(["trigger", "config-change", "--reason", "new sweep", "--json"])
        #expect(fired.status == 0, "\(fired.stderr)")
        let backups = fired.json["backups"] as? [[String: Any]] ?? []
        #expect(backups.map { $0["set"] as? String } == ["configs"])
        #expect(backups.first?["trigger"] as? String == "config_change" && backups.first?["reason"] as? String == "new sweep")

        let refused = try await daemon.pacactl(["trigger", "config-change", "--set", "other"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains(#"set "other" does not take the config_change trigger"#), "\(refused.stderr)")
        let none = try await daemon.pacactl(["trigger", "training-start"])
        #expect(none.status == 1 && none.stderr.contains("no set takes the training_start trigger"), "\(none.stderr)")
        await daemon.stop()
    }

    @Test func aReloadStartsWatchingWhatTheNewConfigNames() async throws {
        let daemon = try DaemonHarness()
        daemon.write("configs/train.yaml", Array("lr: 0\n".utf8))
        try await daemon.start()
        try daemon.writeConfig(
            sets: """
                  data:
                    paths: [\(daemon.source)]
                    triggers: [config_change]
                    watch: [\(daemon.source)/configs]
                    debounce: 1s
                """)
        let reloaded = try await daemon.pacactl(["reload"])
        #expect(reloaded.status == 0 && reloaded.stdout.contains("sets: data"), "\(reloaded.stderr)")
        try Self.save(daemon, "configs/train.yaml", "lr: 2\n")
        let found = try await Self.waitForBackups(daemon, count: 1)
        #expect(found.first?.trigger == "config_change")
        await daemon.stop()
    }

    @Test func aWatchedFolderMissingAtStartIsWatchedAfterAReload() async throws {
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
        try await daemon.start()
        await eventually("the missing folder to be logged") { daemon.log().contains("does not exist") }
        daemon.write("later/cfg/train.yaml", Array("lr: 0\n".utf8))
        #expect(try await daemon.pacactl(["reload"]).status == 0)
        try Self.save(daemon, "later/cfg/train.yaml", "lr: 1\n")
        let found = try await Self.waitForBackups(daemon, count: 1)
        #expect(found.first?.trigger == "config_change")
        await daemon.stop()
    }
}
