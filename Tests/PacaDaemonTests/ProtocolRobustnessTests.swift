import Foundation
import PacaProtocol
import PacaSystem
import PacaTestSupport
import Synchronization
import Testing

@testable import PacaDaemon

/// Broken and hostile input on the control socket: each gets the matching JSON-RPC error, and the
/// daemon carries on answering everyone else.
@Suite(.serialized) struct ProtocolRobustnessTests {
    func errorCode(_ reply: [String: Any]?) -> Int? { (reply?["error"] as? [String: Any])?["code"] as? Int }

    @Test func eachKindOfBadRequestGetsItsOwnError() async throws {
        let daemon = try DaemonHarness()
        try await daemon.start()
        let client = try RawClient(daemon.socket)

        client.sendFrame(Array("{not json".utf8))
        #expect(errorCode(client.receive()) == -32700)
        client.sendFrame([0xff, 0xfe, 0x00])
        #expect(errorCode(client.receive()) == -32700)
        client.sendFrame(Array("[1,2,3]".utf8))
        #expect(errorCode(client.receive()) == -32600)
        client.sendJSON(["jsonrpc": "1.0", "id": 1, "method": "daemon.status"])
        let wrongVersion = client.receive()
        #expect(errorCode(wrongVersion) == -32600)
        #expect(wrongVersion?["id"] as? Int == 1)
        client.sendJSON(["jsonrpc": "2.0", "id": 2, "method": "backup.explode"])
        #expect(errorCode(client.receive()) == -32601)
        client.sendJSON(["jsonrpc": "2.0", "id": 3, "method": "backup.show", "params": ["id": 42]])
        #expect(errorCode(client.receive()) == -32602)
        client.sendJSON(["jsonrpc": "2.0", "id": 4, "method": "backup.show", "params": [1, 2]])
        #expect(errorCode(client.receive()) == -32602)
        client.sendJSON(["jsonrpc": "2.0", "id": 5, "method": "backup.list", "params": ["limit": 0]])
        #expect(errorCode(client.receive()) == -32602)
        client.sendJSON(["jsonrpc": "2.0", "id": 6, "method": "restore.run", "params": ["id": "x", "to": "/tmp/x", "overwite": true]])
        let misspelt = client.receive()
        #expect(errorCode(misspelt) == -32602)
        #expect(((misspelt?["error"] as? [String: Any])?["message"] as? String)?.contains("overwite") == true)
        client.sendJSON(["jsonrpc": "2.0", "id": "s-7", "method": "backup.show", "params": ["id": "20261127T020000Z-data-0000"]])
        let missing = client.receive()
        #expect(errorCode(missing) == -32001)
        #expect(missing?["id"] as? String == "s-7")
        // A notification (no id) gets no reply; the next request still does.
        client.sendJSON(["jsonrpc": "2.0", "method": "daemon.status"])
        client.sendJSON(["jsonrpc": "2.0", "id": 8, "method": "daemon.status"])
        #expect(client.receive()?["id"] as? Int == 8)
        await daemon.stop()
    }

    /// A reason is free text for people: 1,000 characters at most, no control characters. Longer
    /// or escaped ones are refused with -32602 naming the limit, and nothing is backed up.
    @Test func reasonsAreBoundedAndPrintable() async throws {
        let daemon = try DaemonHarness()
        daemon.write("a.txt", Array("alpha".utf8))
        try await daemon.start()
        let client = try RawClient(daemon.socket)
        for (reason, says) in [
            (String(repeating: "r", count: 20_000), "20000 characters long; the limit is 1000"),
            ("line one\nline two", "control character U+000A"), ("\u{1B}[31mred", "control character U+001B"),
        ] {
            for method in ["backup.create", "trigger.fire"] {
                var params: [String: Any] = ["reason": reason]
                if method == "trigger.fire" { params["kind"] = "emergency" }
                let reply = try client.call(method, params)
                #expect(errorCode(reply) == -32602, "\(method): \(reply)")
                let message = (reply["error"] as? [String: Any])?["message"] as? String ?? ""
                #expect(message.contains("reason") && message.contains(says), "\(message)")
            }
        }
        let fine = try client.call("backup.create", ["reason": String(repeating: "가", count: 1000)])
        #expect((fine["result"] as? [String: Any])?["status"] as? String == "complete", "\(fine)")
        let listed = try client.call("backup.list", [:])
        #expect(((listed["result"] as? [String: Any])?["backups"] as? [Any])?.count == 1)
        await daemon.stop()
    }

    /// An answer over the 16 MiB frame limit is replaced by error -32006 with the request's id:
    /// the client learns why, and the connection goes on.
    @Test func anAnswerOverTheFrameLimitIsRefusedCleanly() async throws {
        let daemon = try DaemonHarness(extraConfig: "stores:\n  big: {type: memory}")
        try await daemon.start()
        let client = try RawClient(daemon.socket, timeout: 60)
        let text = String(repeating: "x", count: 6 << 20)
        for _ in 0..<3 {
            let put = try client.call("data.put", ["store": "big", "data": text])
            #expect(put["result"] != nil, "\(put["error"] ?? "")")
        }
        let query = try client.call("data.query", ["store": "big"], id: 77)
        #expect(errorCode(query) == -32006 && query["id"] as? Int == 77, "\(query["error"] ?? "")")
        let message = (query["error"] as? [String: Any])?["message"] as? String ?? ""
        #expect(message.contains("over the 16777216-byte frame limit"), "\(message)")
        #expect(try client.call("daemon.status")["result"] != nil)
        await daemon.stop()
    }

    @Test func anOversizedFrameIsRefusedAndTheConnectionClosed() async throws {
        let daemon = try DaemonHarness()
        try await daemon.start()
        let client = try RawClient(daemon.socket)
        client.send([0x7f, 0xff, 0xff, 0xff])
        let reply = client.receive()
        #expect(errorCode(reply) == -32006)
        #expect(client.isClosed())
        #expect(try await daemon.call(Methods.daemonStatus).version.isEmpty == false)
        await daemon.stop()
    }

    @Test func garbageBytesNeverTakeTheDaemonDown() async throws {
        let daemon = try DaemonHarness()
        try await daemon.start()
        var state: UInt64 = 99
        for _ in 0..<20 {
            let client = try RawClient(daemon.socket, timeout: 2)
            let garbage = (0..<512).map { _ -> UInt8 in
                state = state &* 6_364_136_223_846_793_005 &+ 1
                return UInt8(truncatingIfNeeded: state >> 56)
            }
            client.send(garbage)
            _ = client.receive()
        }
        #expect(try await daemon.call(Methods.daemonStatus).version.isEmpty == false)
        await daemon.stop()
    }

    /// The stall timeout runs on the daemon's clock: a partial frame is cut off once the clock has
    /// moved past it, while time idle between whole frames never counts.
    @Test func aHalfSentFrameIsTimedOutWithoutHoldingAnything() async throws {
        let daemon = try InProcessDaemon()
        try await daemon.run(stallTimeout: .seconds(10)) { _ in
            let stalled = try RawClient(daemon.socket)
            let idle = try RawClient(daemon.socket)
            stalled.send([0, 0, 0, 100] + Array("{\"jsonrpc\"".utf8))
            // Others are served meanwhile.
            #expect(try await daemon.client.call(Methods.daemonStatus).state == .idle)
            // Virtual minutes pass until the daemon has seen the partial frame and timed it out.
            await eventually("the stalled connection to be closed") {
                daemon.clock.advance(by: .seconds(11))
                await Task.yield()
                return stalled.isClosedNow()
            }
            // The idle connection saw all that time pass and is still served (asked off the pool,
            // which the daemon in this process answers from).
            let served = await SystemThread.run { (try? idle.call("daemon.status"))?["result"] != nil }
            #expect(served)
        }
    }

    /// Every byte of a partial frame restarts its timeout, and a whole frame ends it. Only the
    /// start of a partial frame wakes the watcher: whole frames, every request's case, start no
    /// timer.
    @Test func aStallWatchCountsFromTheLastByte() async throws {
        let clock = ManualClock()
        let watch = StallWatch(clock: clock.serviceClock, timeout: .seconds(10))
        let stalled = Flag()
        try await withBackground({
            await watch.waitForStall()
            stalled.set()
        }) {
            await clock.waitForSleepCalls(1)  // nothing pending: it waits for bytes
            watch.bytesArrived(partialFrame: true)
            await clock.waitForSleepCalls(2)  // timing the partial frame, until 10 s
            clock.advance(by: .seconds(9))
            watch.bytesArrived(partialFrame: true)
            clock.advance(by: .seconds(1))
            await clock.waitForSleepCalls(3)  // at 10 s it finds a newer byte: timing until 19 s
            #expect(!stalled.isSet)
            clock.advance(by: .seconds(8))
            watch.bytesArrived(partialFrame: false)
            clock.advance(by: .seconds(1))
            await clock.waitForSleepCalls(4)  // at 19 s the frame is whole: nothing to time
            clock.advance(by: .seconds(60))
            #expect(!stalled.isSet)
            #expect(watch.countdownsStarted == 1)
            for _ in 0..<100 { watch.bytesArrived(partialFrame: false) }
            #expect(watch.countdownsStarted == 1, "whole frames woke the watcher")
            watch.bytesArrived(partialFrame: true)
            #expect(watch.countdownsStarted == 2)
            await clock.waitForSleepCalls(5)
            clock.advance(by: .seconds(10))
            await eventually("the stall to be reported") { stalled.isSet }
        }
    }

    /// 500 clients at once (over the default `limits.connections` of 256, so raised here).
    @Test func fiveHundredConcurrentClientsAreAllAnsweredAndStatusStaysFast() async throws {
        let daemon = try DaemonHarness(extraConfig: "limits: {connections: 600}")
        try await daemon.start()
        let probe = try RawClient(daemon.socket)
        func medianStatusMilliseconds() throws -> Double {
            var timings: [Double] = []
            for id in 0..<50 {
                let began = DispatchTime.now().uptimeNanoseconds
                _ = try probe.call("daemon.status", id: id)
                timings.append(Double(DispatchTime.now().uptimeNanoseconds - began) / 1e6)
            }
            return timings.sorted()[timings.count / 2]
        }
        // Measured beside the same run's own baseline, with room for a loaded test machine: what
        // this guards against (status queued behind other clients) costs seconds, not milliseconds.
        // The latency targets themselves are measured by make bench.
        let alone = try medianStatusMilliseconds()
        let clients = try (0..<500).map { _ in try RawClient(daemon.socket) }
        for (index, client) in clients.enumerated() {
            client.sendJSON(["jsonrpc": "2.0", "id": index, "method": index % 2 == 0 ? "daemon.status" : "backup.list"])
        }
        var answered = 0
        for (index, client) in clients.enumerated() {
            let reply = client.receive()
            if reply?["id"] as? Int == index && reply?["result"] != nil { answered += 1 }
        }
        #expect(answered == 500)
        let crowded = try medianStatusMilliseconds()
        #expect(crowded < max(50, 5 * alone), "median status round trip \(crowded) ms with 500 clients, \(alone) ms alone")
        await daemon.stop()
    }

    @Test func statusAnswersQuicklyWhileABackupRuns() async throws {
        let daemon = try DaemonHarness(compression: "{level: 9, threads: 1}")
        daemon.writeSlowSource(blocks: 64, seed: 3)
        try await daemon.start(["--stop-timeout", "0"])
        let probe = try RawClient(daemon.socket)
        var busy = 0
        func medianStatusMilliseconds(from first: Int) throws -> Double {
            var timings: [Double] = []
            for id in first..<first + 40 {
                let began = DispatchTime.now().uptimeNanoseconds
                let reply = try probe.call("daemon.status", id: id)
                timings.append(Double(DispatchTime.now().uptimeNanoseconds - began) / 1e6)
                if (reply["result"] as? [String: Any])?["state"] as? String == "busy" { busy += 1 }
            }
            return timings.sorted()[timings.count / 2]
        }
        // Beside the same run's own baseline, with room for a loaded machine: a status waiting on
        // the backup would take seconds. The latency targets themselves are measured by make bench.
        let idle = try medianStatusMilliseconds(from: 0)
        _ = try await daemon.pacactl(["backup", "now", "--no-wait"])
        // The backup is queued when pacactl returns; on a loaded machine it may start a moment later.
        var id = 1000
        while ((try probe.call("daemon.status", id: id))["result"] as? [String: Any])?["state"] as? String != "busy", id < 1300 {
            id += 1
            try await Task.sleep(for: .milliseconds(100))
        }
        let during = try medianStatusMilliseconds(from: 100)
        #expect(busy > 30)
        #expect(during < max(50, 5 * idle), "median \(during) ms during a backup, \(idle) ms idle")
        await daemon.stop()
    }

    /// A rebuild reads every manifest on the target, minutes for large archives: with
    /// `progress` it reports at once and every 5 s, so `pacactl --timeout` never cuts it off.
    @Test func catalogRebuildSendsProgressBeforeItsReply() async throws {
        let daemon = try DaemonHarness()
        daemon.writeSlowSource(blocks: 2, seed: 9)
        try await daemon.start()
        #expect(try await daemon.pacactl(["backup", "now"]).status == 0)
        let client = try RawClient(daemon.socket, timeout: 60)
        client.sendJSON(["jsonrpc": "2.0", "id": 4, "method": "catalog.rebuild", "params": ["target": "local", "progress": true]])
        var phases: [String] = []
        var reply: [String: Any]?
        while let message = client.receive() {
            if message["method"] as? String == "progress" {
                phases.append((message["params"] as? [String: Any])?["phase"] as? String ?? "")
            } else {
                reply = message
                break
            }
        }
        #expect((reply?["result"] as? [String: Any])?["target"] as? String == "local", "\(String(describing: reply))")
        #expect(!phases.isEmpty && phases.allSatisfy { $0 == "rebuild" }, "\(phases)")
        let rebuilt = try await daemon.pacactl(["catalog", "rebuild", "--target", "local", "--timeout", "10"])
        #expect(rebuilt.status == 0, "\(rebuilt.stderr)")
        await daemon.stop()
    }

    @Test func progressNotificationsComeBeforeTheReply() async throws {
        let daemon = try DaemonHarness(compression: "{level: 9, threads: 1}")
        daemon.writeSlowSource(blocks: 24, seed: 5)
        try await daemon.start()
        let client = try RawClient(daemon.socket, timeout: 60)
        client.sendJSON(["jsonrpc": "2.0", "id": 9, "method": "backup.create", "params": ["progress": true]])
        var notifications: [[String: Any]] = []
        var reply: [String: Any]?
        while let message = client.receive() {
            if message["method"] as? String == "progress" {
                notifications.append(message["params"] as? [String: Any] ?? [:])
            } else {
                reply = message
                break
            }
        }
        #expect((reply?["result"] as? [String: Any])?["status"] as? String == "complete")
        #expect(!notifications.isEmpty)
        #expect(notifications.allSatisfy { $0["id"] as? Int == 9 })
        // The total is 0 until the walk that counts it is done, then the whole source.
        #expect(notifications.allSatisfy { [0, (1 << 20) + (23 << 21)].contains($0["total_bytes"] as? Int ?? -1) })
        let counts = notifications.compactMap { $0["bytes"] as? Int }
        #expect(zip(counts, counts.dropFirst()).allSatisfy { $0 <= $1 })
        await daemon.stop()
    }
}

/// A flag one task sets and another reads.
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .sequentiallyConsistent) }
    var isSet: Bool { value.load(ordering: .sequentiallyConsistent) }
}
