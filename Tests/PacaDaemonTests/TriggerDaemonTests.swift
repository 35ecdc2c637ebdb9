import Foundation
import PacaProtocol
import PacaTestSupport
import Testing

@Suite(.serialized) struct TriggerDaemonTests {
    @Test func trainingStartBacksUpTheSetBeforeReturning() async throws {
        let daemon = try DaemonHarness()
        daemon.write("configs/train.yaml", Array("lr: 0.1\n".utf8))
        try daemon.writeConfig(
            sets: "  data:\n    paths: [\(daemon.source)]\n    triggers: [training_start]\n  logs:\n    paths: [\(daemon.source)]\n")
        try await daemon.start()
        let out = try await daemon.pacactl(["trigger", "training-start", "--reason", "run 42", "--json"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.json["kind"] as? String == "training_start")
        let backups = out.json["backups"] as? [[String: Any]] ?? []
        #expect(backups.count == 1)
        #expect(backups.first?["set"] as? String == "data")
        #expect(backups.first?["status"] as? String == "complete")
        #expect(backups.first?["trigger"] as? String == "training_start")
        #expect(backups.first?["reason"] as? String == "run 42")
        #expect(try await daemon.pacactl(["trigger", "training-start", "--set", "nope"]).status == 4)
        let refused = try await daemon.pacactl(["trigger", "training-start", "--set", "logs"])
        #expect(refused.status == 1 && refused.stderr.contains(#"set "logs" does not take the training_start trigger"#))
        await daemon.stop()
    }

    @Test func anEmergencyBacksUpEverySetAndReportsEach() async throws {
        let daemon = try DaemonHarness()
        daemon.write("a.txt", Array("hello".utf8))
        try daemon.writeConfig(sets: "  data:\n    paths: [\(daemon.source)]\n  logs:\n    paths: [\(daemon.source)]\n")
        try await daemon.start()
        let out = try await daemon.pacactl(["trigger", "emergency", "--reason", "disk smells of smoke", "--json"])
        #expect(out.status == 0, "\(out.stderr)")
        let backups = out.json["backups"] as? [[String: Any]] ?? []
        #expect(backups.compactMap { $0["set"] as? String } == ["data", "logs"])
        #expect(backups.allSatisfy { $0["trigger"] as? String == "emergency" && $0["status"] as? String == "complete" })
        // A kind the contract does not have, sent as a raw frame.
        let bad = try RawClient(daemon.socket).call("trigger.fire", ["kind": "meteor"])
        #expect(((bad["error"] as? [String: Any])?["code"] as? Int) == RPCErrorCode.invalidParams.rawValue)
        await daemon.stop()
    }
}

extension TriggerDaemonTests {
    @Test func sigtermBacksUpShutdownSetsBeforeExiting() async throws {
        let notify = try SystemdNotifierTests.NotifySocket()
        let daemon = try DaemonHarness()
        daemon.write("a.txt", Array("hello".utf8))
        try daemon.writeConfig(
            sets: "  data:\n    paths: [\(daemon.source)]\n    triggers: [shutdown]\n  other:\n    paths: [\(daemon.source)]\n")
        try await daemon.start(environment: ["NOTIFY_SOCKET": notify.path])
        #expect(await daemon.stop(SIGTERM) == 0)
        var messages: [String] = []
        while let message = notify.receive() { messages.append(message) }
        #expect(messages.contains { $0.contains("STOPPING=1") && $0.contains("shutdown backup of data") })
        try await daemon.start()
        let backups = try await daemon.pacactl(["backup", "list", "--json"]).json["backups"] as? [[String: Any]] ?? []
        #expect(backups.count == 1)
        #expect(backups.first?["set"] as? String == "data")
        #expect(backups.first?["trigger"] as? String == "shutdown")
        #expect(backups.first?["status"] as? String == "complete")
        await daemon.stop()
    }

    @Test func unknownTriggersAndAConfigChangeWithNothingToWatchAreRefusedByTheConfig() async throws {
        let daemon = try DaemonHarness()
        try daemon.writeConfig(sets: "  data:\n    paths: [\(daemon.source)]\n    triggers: [shutdown, config_change, lunch]\n")
        let checked = try run([Binaries.pacad, "--check-config", daemon.configPath])
        #expect(checked.status == 1)
        #expect(checked.stderr.contains("the config_change trigger needs the files or directories to watch"))
        #expect(checked.stderr.contains(#""lunch" is not a trigger"#))
    }

    /// A backup is running and another waits behind it; an emergency takes over the waiting one,
    /// which starts the moment the running one ends and is recorded as the emergency.
    @Test func anEmergencyTakesOverTheBackupWaitingBehindARunningOne() async throws {
        let daemon = try DaemonHarness(compression: "{level: 9, threads: 1}")
        daemon.writeSlowSource()
        try await daemon.start()
        let running = try await daemon.call(Methods.backupCreate, BackupCreateParams(set: nil, reason: "first", wait: false))
        guard case .admitted(let first) = running, first.status == .running else { Issue.record("\(running)"); return }
        let queued = try await daemon.call(Methods.backupCreate, BackupCreateParams(set: nil, reason: "routine", wait: false))
        guard case .admitted(let second) = queued, second.status == .queued else { Issue.record("\(queued)"); return }
        let emergency = try await daemon.pacactl(["trigger", "emergency", "--reason", "disk failing", "--json"])
        #expect(emergency.status == 0, "\(emergency.stderr)")
        let answered = (emergency.json["backups"] as? [[String: Any]])?.first ?? [:]
        #expect(answered["trigger"] as? String == "emergency" && answered["reason"] as? String == "disk failing")
        #expect(answered["coalesced"] as? Int == 1)
        let all = try await daemon.pacactl(["backup", "list", "--json"]).json["backups"] as? [[String: Any]] ?? []
        // Ids order by the second only, so two backups in one second may list either way round.
        #expect(Set(all.compactMap { $0["reason"] as? String }) == ["first", "disk failing"] && all.count == 2)
        #expect(all.allSatisfy { $0["status"] as? String == "complete" })
        await daemon.stop()
    }
}
