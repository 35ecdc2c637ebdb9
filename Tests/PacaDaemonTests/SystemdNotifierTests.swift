import Foundation
import PacaDaemon
import PacaTestSupport
import Testing

/// Points NOTIFY_SOCKET at a datagram socket the test owns, as systemd would, and reads what arrives.
@Suite(.serialized) struct SystemdNotifierTests {
    final class NotifySocket {
        let folder = TemporaryFolder()
        let path: String
        let fd: Int32

        init() throws {
            path = folder.sub("notify.sock")
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                let bytes = Array(path.utf8)
                raw.copyBytes(from: bytes.prefix(raw.count - 1))
                raw[bytes.count] = 0
            }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
            var timeout = timeval(tv_sec: 2, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        deinit {
            close(fd)
        }

        func receive() -> String? {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = recv(fd, &buffer, buffer.count, 0)
            return n > 0 ? String(decoding: buffer[..<n], as: UTF8.self) : nil
        }
    }

    @Test func messagesArriveInOrder() async throws {
        let socket = try NotifySocket()
        setenv("NOTIFY_SOCKET", socket.path, 1)
        defer { unsetenv("NOTIFY_SOCKET") }
        let notifier = SystemdNotifier()
        notifier.ready(status: "idle; no backups yet")
        notifier.status("backing up training: 41%\nsecond line")
        notifier.watchdog()
        notifier.stopping(status: "stopping: waiting for training")
        #expect(socket.receive() == "READY=1\nSTATUS=idle; no backups yet")
        #expect(socket.receive() == "STATUS=backing up training: 41% second line")
        #expect(socket.receive() == "WATCHDOG=1")
        #expect(socket.receive() == "STOPPING=1\nSTATUS=stopping: waiting for training")
    }

    @Test func watchdogIntervalIsHalfOfWatchdogUsec() async {
        setenv("WATCHDOG_USEC", "3000000", 1)
        setenv("WATCHDOG_PID", String(getpid()), 1)
        defer {
            unsetenv("WATCHDOG_USEC")
            unsetenv("WATCHDOG_PID")
        }
        #expect(SystemdNotifier().watchdogInterval == .milliseconds(1500))
    }

    @Test func withoutSystemdNothingIsEnabledAndNothingFails() async {
        unsetenv("NOTIFY_SOCKET")
        unsetenv("WATCHDOG_USEC")
        let notifier = SystemdNotifier()
        notifier.ready(status: "idle")
        #expect(notifier.watchdogInterval == nil)
    }
}
