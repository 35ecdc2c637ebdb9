import Foundation

/// A byte-level client for protocol tests: frames by hand, so tests can also send broken ones.
public final class RawClient: @unchecked Sendable {
    public let fd: Int32

    public init(_ path: String, timeout: Int = 10) throws {
        // The descriptor is stored only once connected: a class whose init throws after every
        // property is set still runs deinit, and closing a number twice closes whatever file
        // another thread opened under it in between (this closed archive readers mid-test).
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = unixSocketAddress(path)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            let code = errno
            close(descriptor)
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
        }
        var time = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        fd = descriptor
    }

    deinit { close(fd) }

    public func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            offset += n
        }
    }

    public func sendFrame(_ payload: [UInt8]) {
        let n = UInt32(payload.count)
        send([UInt8(n >> 24), UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)] + payload)
    }

    public func sendJSON(_ object: Any) {
        sendFrame(Array(try! JSONSerialization.data(withJSONObject: object)))
    }

    /// The next frame's payload parsed as a JSON object; nil when the connection closed.
    public func receive() -> [String: Any]? {
        guard let header = read(4) else { return nil }
        let length = Int(header[0]) << 24 | Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
        guard let payload = read(length) else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(payload))) as? [String: Any]
    }

    /// The next frame's payload as it is (the raw frame after an `attached` reply); nil when the
    /// connection closed.
    public func receiveRaw() -> [UInt8]? {
        guard let header = read(4) else { return nil }
        return read(Int(header[0]) << 24 | Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3]))
    }

    /// True when the daemon has closed the connection by now, without waiting for it.
    public func isClosedNow() -> Bool {
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, Int32(MSG_DONTWAIT) | Int32(MSG_PEEK)) == 0
    }

    /// True when the daemon has closed the connection (a read returns end of file).
    public func isClosed() -> Bool {
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, 0) == 0
    }

    public func call(_ method: String, _ params: [String: Any] = [:], id: Int = 1) throws -> [String: Any] {
        sendJSON(["jsonrpc": "2.0", "id": id, "method": method, "params": params])
        while let message = receive() {
            if message["method"] as? String == "progress" { continue }
            return message
        }
        throw POSIXError(.ECONNRESET)
    }

    private func read(_ count: Int) -> [UInt8]? {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: max(count, 1))
        while result.count < count {
            let n = recv(fd, &buffer, count - result.count, 0)
            if n <= 0 { return nil }
            result += buffer[0..<n]
        }
        return result
    }
}
