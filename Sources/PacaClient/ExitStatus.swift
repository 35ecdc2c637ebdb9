public import PacaProtocol

/// The exit statuses `pacactl` promises (docs/protocol.md), and any client that wants to be as
/// clear: 0 success, 1 the operation failed, 2 usage error, 3 daemon unreachable, 4 not found,
/// 5 not permitted.
public enum ExitStatus: Int32, Sendable {
    case success = 0
    case failed = 1
    case usage = 2
    case unreachable = 3
    case notFound = 4
    /// The caller's role (or a set's `access`) does not allow it.
    case notPermitted = 5

    /// The status for a daemon's error reply: 4 for not found, 2 for bad params, 5 for not
    /// permitted, 1 otherwise.
    public init(_ error: RPCError) {
        switch error.code {
        case RPCErrorCode.notFound.rawValue: self = .notFound
        case RPCErrorCode.invalidParams.rawValue: self = .usage
        case RPCErrorCode.permissionDenied.rawValue: self = .notPermitted
        default: self = .failed
        }
    }
}
