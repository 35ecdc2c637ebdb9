public import PacaCore
public import PacaProtocol
import PacaSystem

/// A blocking connection to pacad: framed JSON-RPC requests, `progress` notifications handed to
/// a callback before the reply, replies read into the method's result type. One thread uses it at
/// a time; ``PacaClient`` is the async face.
public final class Connection {
    private let socket: UnixSocket
    private var decoder = FrameDecoder()
    private var nextID: Int64 = 1
    private var buffer = [UInt8](repeating: 0, count: 256 << 10)
    /// The socket this connection reached.
    public var path: String { socket.path }

    /// How long a call waits for the daemon to send anything (a reply, a progress notification)
    /// before it fails with ``ClientError/Kind/timedOut``; nil waits forever.
    public let timeout: Duration?

    /// The default ``timeout``: long calls ask for progress, which pacad sends at least every few
    /// seconds, so only a daemon that has stopped answering is silent this long.
    public static let defaultTimeout = Duration.seconds(30)

    /// Connects to the first of `paths` that answers (see ``SocketLocation``).
    public init(paths: [String] = SocketLocation.candidates(), timeout: Duration? = Connection.defaultTimeout) throws(ClientError) {
        var reasons: [String] = []
        var last: SystemError?
        self.timeout = timeout
        for path in paths {
            do {
                socket = try UnixSocket(connectingTo: path)
                socket.setReceiveTimeout(timeout)
                return
            } catch {
                reasons.append("\(path) (\(error.reason))")
                last = error
            }
        }
        throw ClientError(
            .unreachable,
            "cannot reach pacad: tried \(reasons.joined(separator: ", ")); is it running? Name its socket with --socket or PACA_SOCKET",
            underlying: last)
    }

    /// A reply: the result read into its type, and the JSON exactly as the daemon sent it.
    public struct Reply<Result: Sendable>: Sendable {
        public let result: Result
        public let json: JSONValue
        /// The raw bytes sent after the reply, when its result announced them (`attached`).
        public let attachment: [UInt8]?
    }

    /// Calls `method` and waits for its reply; `progress` gets each notification first.
    public func call<Params, Result>(
        _ method: RPCMethod<Params, Result>, _ params: Params = Params(), progress: ((Progress) -> Void)? = nil
    ) throws(ClientError) -> Reply<Result> {
        let (json, attachment) = try exchange(method.name, params.members) { notification in
            if let progress, let value = try? Progress(wire: notification) { progress(value) }
        }
        do { return Reply(result: try method.result(from: json), json: json, attachment: attachment) } catch {
            throw ClientError(.broken, "pacad's reply to \(method.name) does not match the protocol: \(error)")
        }
    }

    /// Calls a method by name with raw params and returns the raw result: for tools that pass
    /// requests through. Prefer ``call(_:_:progress:)``.
    public func call(_ method: String, _ params: [String: JSONValue], progress: ((JSONValue) -> Void)? = nil) throws(ClientError)
        -> JSONValue
    {
        try exchange(method, params, progress: progress).result
    }

    /// Sends a request and reads its reply, and the raw frame after it when the result announces
    /// one (`attached`, docs/protocol.md "Framing").
    private func exchange(_ method: String, _ params: [String: JSONValue], progress: ((JSONValue) -> Void)?) throws(ClientError)
        -> (result: JSONValue, attachment: [UInt8]?)
    {
        let id = RPCID.number(nextID)
        nextID += 1
        try send(Frame.encode(RPCRequest(id: id, method: method, params: params).encoded))
        while true {
            let payload = try receive()
            let response: RPCResponse
            do { response = try RPCResponse.decode(payload) } catch { throw ClientError(.broken, error.message) }
            switch response {
            case .progress(let requestID, let value) where requestID == id: progress?(value)
            case .progress: continue
            case .result(_, let value):
                guard let count = Frame.attachedCount(value) else { return (value, nil) }
                let bytes = try receive()
                guard bytes.count == count else {
                    throw ClientError(.broken, "pacad announced \(count) raw bytes after its reply to \(method) and sent \(bytes.count)")
                }
                return (value, bytes)
            case .error(_, let error): throw ClientError(.rpc(error), error.message)
            }
        }
    }

    private func send(_ bytes: [UInt8]) throws(ClientError) {
        do { try socket.send(bytes) } catch { throw ClientError(.broken, "sending to \(path): \(error.reason)", underlying: error) }
    }

    private func receive() throws(ClientError) -> [UInt8] {
        while true {
            do {
                if let payload = try decoder.next() { return payload }
            } catch {
                throw ClientError(.broken, "the daemon sent an oversized frame: \(error)")
            }
            let count: Int
            do { count = try buffer.withMutableBytes { (raw) throws(SystemError) in try socket.receive(into: raw) } } catch {
                if error.isTimeout, let timeout {
                    throw ClientError(
                        .timedOut,
                        "pacad at \(path) took the connection but sent nothing for \(Self.secondsText(timeout)) s: is it hung, or does its socket unit have no service running? (--timeout sets how long to wait)",
                        underlying: error)
                }
                throw ClientError(.broken, "reading from \(path): \(error.reason)", underlying: error)
            }
            if count == 0 { throw ClientError(.broken, "pacad closed the connection before replying (did it stop?)") }
            decoder.append(buffer[0..<count])
        }
    }

    /// `30`, or `0.5`: a timeout as people write it.
    static func secondsText(_ duration: Duration) -> String {
        let seconds = duration.inSeconds
        return seconds == seconds.rounded() ? String(Int64(seconds)) : String(seconds)
    }
}
