import Foundation
import PacaProtocol
import PacaTestSupport
import Testing

/// pacad under a stand-in for systemd: NOTIFY_SOCKET and WATCHDOG_USEC pointing at the test.
@Suite(.serialized) struct DaemonNotifyTests {
    @Test func readyStatusWatchdogAndStoppingArriveInOrder() async throws {
        let notify = try SystemdNotifierTests.NotifySocket()
        let daemon = try DaemonHarness()
        try await daemon.start(environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "200000"])
        var messages: [String] = []
        while messages.filter({ $0 == "WATCHDOG=1" }).count < 2, let message = notify.receive() { messages.append(message) }
        daemon.write("a.txt", Array("hello".utf8))
        #expect(try await daemon.pacactl(["backup", "now"]).status == 0)
        while !messages.contains(where: { $0.hasPrefix("STATUS=idle; last backup data") }), let message = notify.receive() {
            messages.append(message)
        }
        kill(daemon.process!.processIdentifier, SIGTERM)
        while let message = notify.receive() {
            messages.append(message)
            if message.hasPrefix("STOPPING=1") { break }
        }
        await daemon.stop()
        let ready = try #require(messages.firstIndex { $0.hasPrefix("READY=1") })
        let status = try #require(messages.firstIndex { $0.hasPrefix("STATUS=idle; last backup data just now") })
        let watchdog = try #require(messages.firstIndex { $0 == "WATCHDOG=1" })
        let stopping = try #require(messages.firstIndex { $0.hasPrefix("STOPPING=1") })
        #expect(ready == 0)
        #expect(messages[ready].contains("STATUS=idle; no backups yet"))
        #expect(ready < status && status < stopping)
        #expect(ready < watchdog && watchdog < stopping)
        #expect(stopping == messages.count - 1)
    }
}
