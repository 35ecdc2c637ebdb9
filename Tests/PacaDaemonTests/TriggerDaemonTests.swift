import Foundation
import Testing

@Suite(.serialized) struct TriggerDaemonTests {
    @Test func trainingStartBacksUpTheSetBeforeReturning() throws {
        let daemon = try DaemonHarness()
        daemon.write("configs/train.yaml", Array("lr: 0.1\n".utf8))
        try daemon.writeConfig(
            sets: "  data:\n    paths: [\(daemon.source)]\n    triggers: [training_start]\n  logs:\n    paths: [\(daemon.source)]\n")
        try daemon.start()
        let out = try daemon.pacactl(["trigger", "training-start", "--reason", "run 42", "--json"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.json["kind"] as? String == "training_start")
        let backups = out.json["backups"] as? [[String: Any]] ?? []
        #expect(backups.count == 1)
        #expect(backups.first?["set"] as? String == "data")
        #expect(backups.first?["status"] as? String == "complete")
        #expect(backups.first?["trigger"] as? String == "training_start")
        #expect(backups.first?["reason"] as? String == "run 42")
        #expect(try daemon.pacactl(["trigger", "training-start", "--set", "nope"]).status == 4)
        let refused = try daemon.pacactl(["trigger", "training-start", "--set", "logs"])
        #expect(refused.status == 1 && refused.stderr.contains(#"set "logs" does not take the training_start trigger"#))
        daemon.stop()
    }

    @Test func anEmergencyBacksUpEverySetAndReportsEach() throws {
        let daemon = try DaemonHarness()
        daemon.write("a.txt", Array("hello".utf8))
        try daemon.writeConfig(sets: "  data:\n    paths: [\(daemon.source)]\n  logs:\n    paths: [\(daemon.source)]\n")
        try daemon.start()
        let out = try daemon.pacactl(["trigger", "emergency", "--reason", "disk smells of smoke", "--json"])
        #expect(out.status == 0, "\(out.stderr)")
        let backups = out.json["backups"] as? [[String: Any]] ?? []
        #expect(backups.compactMap { $0["set"] as? String } == ["data", "logs"])
        #expect(backups.allSatisfy { $0["trigger"] as? String == "emergency" && $0["status"] as? String == "complete" })
        let bad = try daemon.rpc("trigger.fire", ["kind": "meteor"])
        #expect(((bad["error"] as? [String: Any])?["code"] as? Int) == -32602)
        daemon.stop()
    }
}

extension TriggerDaemonTests {
    @Test func sigtermBacksUpShutdownSetsBeforeExiting() throws {
        let notify = try SystemdNotifierTests.NotifySocket()
        let daemon = try DaemonHarness()
        daemon.write("a.txt", Array("hello".utf8))
        try daemon.writeConfig(
            sets: "  data:\n    paths: [\(daemon.source)]\n    triggers: [shutdown]\n  other:\n    paths: [\(daemon.source)]\n")
        try daemon.start(environment: ["NOTIFY_SOCKET": notify.path])
        #expect(daemon.stop(SIGTERM) == 0)
        var messages: [String] = []
        while let message = notify.receive() { messages.append(message) }
        #expect(messages.contains { $0.contains("STOPPING=1") && $0.contains("shutdown backup of data") })
        try daemon.start()
        let backups = try daemon.pacactl(["backup", "list", "--json"]).json["backups"] as? [[String: Any]] ?? []
        #expect(backups.count == 1)
        #expect(backups.first?["set"] as? String == "data")
        #expect(backups.first?["trigger"] as? String == "shutdown")
        #expect(backups.first?["status"] as? String == "complete")
        daemon.stop()
    }

    @Test func unknownTriggersAndAConfigChangeWithNothingToWatchAreRefusedByTheConfig() throws {
        let daemon = try DaemonHarness()
        try daemon.writeConfig(sets: "  data:\n    paths: [\(daemon.source)]\n    triggers: [shutdown, config_change, lunch]\n")
        let checked = try run([Binaries.pacad, "--check-config", daemon.configPath])
        #expect(checked.status == 1)
        #expect(checked.stderr.contains("the config_change trigger needs the files or directories to watch"))
        #expect(checked.stderr.contains(#""lunch" is not a trigger"#))
    }

    /// A backup is running and another waits behind it; an emergency takes over the waiting one,
    /// which starts the moment the running one ends and is recorded as the emergency.
    @Test func anEmergencyTakesOverTheBackupWaitingBehindARunningOne() throws {
        let daemon = try DaemonHarness(compression: "{level: 9, threads: 1}")
        daemon.writeSlowSource()
        try daemon.start()
        let running = try daemon.rpc("backup.create", ["wait": false, "reason": "first"])
        #expect((running["result"] as? [String: Any])?["status"] as? String == "running", "\(running)")
        let queued = try daemon.rpc("backup.create", ["wait": false, "reason": "routine"])
        #expect((queued["result"] as? [String: Any])?["status"] as? String == "queued", "\(queued)")
        let emergency = try daemon.pacactl(["trigger", "emergency", "--reason", "disk failing", "--json"])
        #expect(emergency.status == 0, "\(emergency.stderr)")
        let answered = (emergency.json["backups"] as? [[String: Any]])?.first ?? [:]
        #expect(answered["trigger"] as? String == "emergency" && answered["reason"] as? String == "disk failing")
        #expect(answered["coalesced"] as? Int == 1)
        let all = try daemon.pacactl(["backup", "list", "--json"]).json["backups"] as? [[String: Any]] ?? []
        // Ids order by the second only, so two backups in one second may list either way round.
        #expect(Set(all.compactMap { $0["reason"] as? String }) == ["first", "disk failing"] && all.count == 2)
        #expect(all.allSatisfy { $0["status"] as? String == "complete" })
        daemon.stop()
    }
}
