public import PacaProtocol
import PacaSystem

/// pacad's client for async code (tests, tools, the dashboard's helpers): each call opens a
/// connection of its own and waits for the reply on a thread of its own, never on the
/// cooperative pool. Typed: `try await client.call(Methods.backupShow, BackupIDParams(id: id))`.
public struct PacaClient: Sendable {
    /// The socket paths tried, in order (``SocketLocation``).
    public let paths: [String]

    /// A client of the daemon at `socket`, or wherever ``SocketLocation`` finds one.
    public init(socket: String? = nil) {
        paths = SocketLocation.candidates(named: socket)
    }

    /// Calls `method`; `progress` gets each notification (on the call's thread) before the reply.
    public func call<Params: Sendable, Result: Sendable>(
        _ method: RPCMethod<Params, Result>, _ params: Params = Params(), progress: (@Sendable (Progress) -> Void)? = nil
    ) async throws(ClientError) -> Result {
        try await reply(method, params, progress: progress).result
    }

    /// Like ``call(_:_:progress:)``, with the reply's JSON as the daemon sent it.
    public func reply<Params: Sendable, Result: Sendable>(
        _ method: RPCMethod<Params, Result>, _ params: Params = Params(), progress: (@Sendable (Progress) -> Void)? = nil
    ) async throws(ClientError) -> Connection.Reply<Result> {
        let paths = self.paths
        let outcome = await SystemThread.run { () -> Swift.Result<Connection.Reply<Result>, ClientError> in
            Swift.Result { () throws(ClientError) -> Connection.Reply<Result> in
                try Connection(paths: paths).call(method, params, progress: progress)
            }
        }
        return try outcome.get()
    }
}
