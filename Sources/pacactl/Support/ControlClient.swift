import PacaCore
import PacaProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// Why a call to the daemon did not produce a result.
enum ClientFailure: Error {
    /// No daemon answers at any of the paths tried; the message says where it looked and why.
    case unreachable(String)
    /// The daemon answered with an error.
    case rpc(RPCError)
    /// The connection broke or the daemon sent something that is not the protocol.
    case broken(String)
}

/// A blocking client of pacad's control socket: one connection, framed JSON-RPC requests, progress
/// notifications passed to a callback before the reply. All of pacactl's socket system calls live here.
final class ControlClient {
    private let fd: Int32
    private var decoder = FrameDecoder()
    private var nextID: Int64 = 1
    let path: String

    /// Connects to the first of `paths` that answers.
    init(connectingTo paths: [String]) throws(ClientFailure) {
        var reasons: [String] = []
        for path in paths {
            switch Self.open(path) {
            case .success(let fd):
                self.fd = fd
                self.path = path
                return
            case .failure(let reason):
                reasons.append("\(path) (\(reason))")
            }
        }
        throw .unreachable(
            "cannot reach pacad: tried \(reasons.joined(separator: ", ")); is it running? Name its socket with --socket or PACA_SOCKET")
    }

    deinit { close(fd) }

    /// Sends `method` with `params` and waits for the reply; `progress` gets each notification.
    func call(_ method: String, _ params: [String: JSONValue] = [:], progress: ((JSONValue) -> Void)? = nil) throws(ClientFailure)
        -> JSONValue
    {
        let id = RPCID.number(nextID)
        nextID += 1
        try send(Frame.encode(RPCRequest(id: id, method: method, params: params).encoded))
        while true {
            let payload = try receive()
            let response: RPCResponse
            do { response = try RPCResponse.decode(payload) } catch { throw .broken(error.message) }
            switch response {
            case .progress(let requestID, let value) where requestID == id: progress?(value)
            case .progress: continue
            case .result(_, let value): return value
            case .error(_, let error): throw .rpc(error)
            }
        }
    }

    private func send(_ bytes: [UInt8]) throws(ClientFailure) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .broken("sending to \(path): \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }

    private func receive() throws(ClientFailure) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            do {
                if let payload = try decoder.next() { return payload }
            } catch {
                throw .broken("the daemon sent an oversized frame: \(error)")
            }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .broken("reading from \(path): \(String(cString: strerror(errno)))")
            }
            if n == 0 { throw .broken("pacad closed the connection before replying (did it stop?)") }
            decoder.append(buffer[0..<n])
        }
    }

    private static func open(_ path: String) -> Result<Int32, ClientFailureReason> {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.utf8.count < capacity else { return .failure(ClientFailureReason("path too long for a Unix socket")) }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.enumerated() { buffer[index] = byte }
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure(ClientFailureReason(String(cString: strerror(errno)))) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            return .failure(ClientFailureReason(reason))
        }
        return .success(fd)
    }
}

struct ClientFailureReason: Error, CustomStringConvertible {
    var description: String
    init(_ text: String) { description = text }
}
