import Foundation
import PacaConfig
import PacaCore
import PacaEngine
import PacaProtocol
import PacaSystem
import PacaTestSupport
import Synchronization
import Testing

@testable import PacaDaemon

/// What one caller can make pacad hold: connections, idle connections, restore sessions and
/// verifies, each bounded by `limits:`.
@Suite struct LimitsTests {
    func errorCode(_ reply: [String: Any]?) -> Int? { (reply?["error"] as? [String: Any])?["code"] as? Int }

    /// With `limits.connections: 4`, a fifth connection is answered busy (naming the limit) and
    /// closed; once one of the four goes, a new one is served again.
    @Test func connectionsOverTheLimitAreTurnedAway() async throws {
        let daemon = try DaemonHarness(extraConfig: "limits: {connections: 4}")
        try await daemon.start()
        // The harness's own readiness probe may still be counted for a moment: retry until served.
        func served() async throws -> RawClient? {
            for _ in 0..<50 {
                let client = try RawClient(daemon.socket)
                if (try? client.call("daemon.status"))?["result"] != nil { return client }
                try await Task.sleep(for: .milliseconds(100))
            }
            return nil
        }
        var clients: [RawClient] = []
        for _ in 0..<4 { clients.append(try #require(try await served())) }
        let fifth = try RawClient(daemon.socket)
        let refused = fifth.receive()
        #expect(errorCode(refused) == -32002, "\(String(describing: refused))")
        #expect(((refused?["error"] as? [String: Any])?["message"] as? String)?.contains("limits.connections") == true)
        #expect(fifth.isClosed())
        clients.removeLast()
        let again = try await served()
        #expect(again != nil)
        await daemon.stop()
    }

    /// A connection with nothing in flight is closed after `limits.idle_timeout`; one that keeps
    /// calling is not, and neither is one waiting for a long answer. The clients run on a thread
    /// of their own (they block), so a busy test machine cannot starve the one that keeps calling.
    @Test func idleConnectionsAreClosed() async throws {
        let daemon = try DaemonHarness(extraConfig: "limits: {idle_timeout: 3s}")
        daemon.writeSlowSource(blocks: 400)
        try await daemon.start()
        let socket = daemon.socket
        let outcome = await SystemThread.run { () -> [String] in
            var failures: [String] = []
            do {
                let idle = try RawClient(socket)
                let busy = try RawClient(socket)
                let waiting = try RawClient(socket, timeout: 120)
                if (try idle.call("daemon.status"))["result"] == nil { failures.append("idle: no status") }
                waiting.sendJSON(["jsonrpc": "2.0", "id": 5, "method": "backup.create", "params": ["reason": "slow"]])
                let started = Date()
                while Date().timeIntervalSince(started) < 4.5 {
                    if (try busy.call("daemon.status"))["result"] == nil { failures.append("busy: no status") }
                    usleep(200_000)
                }
                if !idle.isClosedNow() { failures.append("an idle connection stayed open past the timeout") }
                if busy.isClosedNow() { failures.append("a connection that kept calling was closed") }
                // The long call gets its answer: waiting for one is not idling.
                let answer = waiting.receive()
                if (answer?["result"] as? [String: Any])?["status"] as? String != "complete" {
                    failures.append("the waiting connection got \(String(describing: answer))")
                }
                if Date().timeIntervalSince(started) < 3 {
                    failures.append("the backup was too quick to show anything; make the source slower")
                }
            } catch {
                failures.append("\(error)")
            }
            return failures
        }
        #expect(outcome.isEmpty, "\(outcome)")
        await daemon.stop()
    }

    /// `limits.restores_per_caller: 1`: a second session of the same caller is busy, naming the
    /// limit; another caller still gets one; closing the first frees the place.
    @Test func restoreSessionsPerCallerAreBounded() async throws {
        let daemon = try InProcessDaemon(extraConfig: "limits: {restores_per_caller: 1}")
        daemon.write("a.txt", Array("alpha".utf8), mode: 0o644)
        try await daemon.run { running in
            let made = try await daemon.call(Methods.backupCreate, BackupCreateParams())
            guard case .finished(let backup) = made else {
                Issue.record("the backup did not finish: \(made)")
                return
            }
            let policy = AccessPolicy(ownUID: 999, groupID: 100)
            func call(_ uid: UInt32, _ method: String, _ params: [String: JSONValue]) async -> RPCResponse {
                await running.router.reply(
                    to: RPCRequest(id: .number(1), method: method, params: params), caller: Caller(uid: uid, gid: uid, groups: [100]),
                    policy: policy
                ) { _ in }
            }
            let first = await call(2002, Methods.restoreOpen.name, ["id": .string(backup.id)])
            let session = try RestoreSession(wire: try #require(first.value, "\(first)"))
            let second = await call(2002, Methods.restoreOpen.name, ["id": .string(backup.id)])
            #expect(second.failure?.code == RPCErrorCode.busy.rawValue)
            #expect(second.failure?.message.contains("limits.restores_per_caller") == true)
            #expect(await call(2003, Methods.restoreOpen.name, ["id": .string(backup.id)]).value != nil)
            _ = await call(2002, Methods.restoreClose.name, ["session": .string(session.session)])
            #expect(await call(2002, Methods.restoreOpen.name, ["id": .string(backup.id)]).value != nil)
        }
    }

    @Test func verifiesAreCountedPerCaller() async {
        let quota = CallerQuota()
        #expect(await quota.begin(.verify, uid: 7, limit: 2))
        #expect(await quota.begin(.verify, uid: 7, limit: 2))
        #expect(await !quota.begin(.verify, uid: 7, limit: 2))
        #expect(await quota.begin(.verify, uid: 8, limit: 2))
        await quota.end(.verify, uid: 7)
        #expect(await quota.begin(.verify, uid: 7, limit: 2))
    }

    @Test func badLimitsAreNamed() throws {
        let base = """
            state_dir: /tmp/s
            socket: /tmp/s/pacad.sock
            targets:
              local: {type: directory, path: /tmp/b}
            sets:
              work: {paths: [/tmp/w], targets: [local]}

            """
        let good = try ConfigLoader.load(
            yaml: base + "limits: {connections: 8, idle_timeout: 30s, restores_per_caller: 2, verifies_per_caller: 3}")
        #expect(good.limits.connections == 8 && good.limits.idleTimeout == 30)
        #expect(good.limits.restoresPerCaller == 2 && good.limits.verifiesPerCaller == 3)
        #expect(try ConfigLoader.load(yaml: base).limits == DaemonConfig.Limits())
        for (text, says) in [
            ("limits: {connections: 2}", "limits.connections"), ("limits: {idle_timeout: forever}", "limits.idle_timeout"),
            ("limits: {sessions: 3}", "sessions"),
        ] {
            #expect {
                try ConfigLoader.load(yaml: base + text)
            } throws: { error in
                "\(error)".contains(says)
            }
        }
    }
}

/// Progress that does not change is sent again every heartbeat, so a client that times out on
/// silence (`pacactl --timeout`) keeps waiting for a backup that waits its turn.
@Suite struct ProgressHeartbeatTests {
    final class Count: Sendable {
        let value = Mutex(0)
    }

    @Test func unchangedProgressIsSentAgainAtTheHeartbeat() async throws {
        let manual = ManualClock()
        let clock = manual.serviceClock
        let sent = Count()
        let still = Progress(RunProgress().snapshot, backup: "b", phase: .verify)
        async let driven: Void = {
            for _ in 0..<80 {
                await manual.waitForSleepers(2)  // the body's long sleep and the reporter's tick
                manual.advance(by: .milliseconds(250))
            }
        }()
        let result = try await ProgressReporter.run(
            enabled: true, clock: clock, read: { still }, send: { _ in sent.value.withLock { $0 += 1 } }
        ) { () throws(RPCError) -> Int in
            try? await clock.sleep(for: .seconds(20))
            return 7
        }
        await driven
        #expect(result == 7)
        // Once at the start, then at 5, 10 and 15 s (and perhaps 20): never only once.
        let count = sent.value.withLock { $0 }
        #expect((4...5).contains(count), "\(count) notifications in 20 s of unchanged progress")
    }
}

/// List answers come in pages of at most 1000, with next_offset; pacactl follows them.
@Suite struct PagingTests {
    @Test func queriesAnswerInPagesAndPacactlFollowsThem() async throws {
        let daemon = try DaemonHarness(extraConfig: "stores:\n  many: {type: memory, index: [n]}")
        daemon.write("a.txt", Array("alpha".utf8))
        try await daemon.start()
        let client = try RawClient(daemon.socket, timeout: 60)
        for n in 0..<2500 { _ = try client.call("data.put", ["store": "many", "data": ["n": n]], id: n) }
        let first = try #require(try client.call("data.query", ["store": "many", "sort_by": "n"])["result"] as? [String: Any])
        #expect((first["records"] as? [Any])?.count == 1000 && first["next_offset"] as? Int == 1000)
        let last = try #require(
            try client.call("data.query", ["store": "many", "sort_by": "n", "offset": 2000])["result"] as? [String: Any])
        #expect((last["records"] as? [Any])?.count == 500 && last["next_offset"] == nil)
        let tooMany = try client.call("data.query", ["store": "many", "limit": 1001])
        #expect((tooMany["error"] as? [String: Any])?["code"] as? Int == -32602)

        let all = try await daemon.pacactl(["data", "query", "many", "--sort", "n", "--json"])
        let records = try #require(all.json["records"] as? [[String: Any]])
        #expect(records.count == 2500 && all.json["next_offset"] == nil)
        #expect(records.map { ($0["data"] as? [String: Any])?["n"] as? Int } == Array(0..<2500))
        let some = try await daemon.pacactl(["data", "query", "many", "--sort", "n", "--limit", "1500", "--json"])
        #expect((some.json["records"] as? [Any])?.count == 1500)

        // backup.list pages the same way.
        for _ in 0..<3 { #expect(try await daemon.pacactl(["backup", "now"]).status == 0) }
        let page = try #require(try client.call("backup.list", ["sort_by": "id", "limit": 2])["result"] as? [String: Any])
        #expect((page["backups"] as? [Any])?.count == 2 && page["next_offset"] as? Int == 2)
        let rest = try #require(try client.call("backup.list", ["sort_by": "id", "limit": 2, "offset": 2])["result"] as? [String: Any])
        #expect((rest["backups"] as? [Any])?.count == 1 && rest["next_offset"] == nil)
        #expect((try client.call("backup.list", ["limit": 5000])["error"] as? [String: Any])?["code"] as? Int == -32602)
        await daemon.stop()
    }
}
