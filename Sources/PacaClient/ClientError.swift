public import PacaArchive
public import PacaProtocol
public import PacaSystem

/// Why a call to the daemon did not produce a result: it could not be reached, it answered with an
/// error, or the conversation broke. Each maps to an ``ExitStatus``.
public struct ClientError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// No daemon answers at any of the paths tried.
        case unreachable
        /// The daemon took the connection and then sent nothing for the timeout.
        case timedOut
        /// The daemon answered with an error reply.
        case rpc(RPCError)
        /// The connection broke, or the daemon sent something that is not the protocol.
        case broken
        /// Restoring on the caller's side failed as a whole (the destination is not a folder, an
        /// unsafe entry, the archive is damaged).
        case archive(ArchiveError)
    }

    public let kind: Kind
    /// What happened, for people: where it looked and why, or the daemon's message.
    public let message: String
    /// The failed system call underneath, when there is one.
    public let underlying: SystemError?

    init(_ kind: Kind, _ message: String, underlying: SystemError? = nil) {
        self.kind = kind
        self.message = message
        self.underlying = underlying
    }

    public var description: String { message }

    /// The daemon's error reply, when that is what this is.
    public var rpcError: RPCError? {
        if case .rpc(let error) = kind { return error }
        return nil
    }

    /// The documented exit status for this failure.
    public var exitStatus: ExitStatus {
        switch kind {
        case .unreachable, .timedOut: .unreachable
        case .rpc(let error): ExitStatus(error)
        case .broken, .archive: .failed
        }
    }
}
