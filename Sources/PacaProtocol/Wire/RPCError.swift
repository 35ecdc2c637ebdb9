public import PacaCore

/// A JSON-RPC 2.0 error object: a stable code, a message for people, optional structured data.
/// Clients act on the code, never on the message.
public struct RPCError: Error, Sendable, Hashable, Codable {
    public var code: Int
    public var message: String
    public var data: JSONValue?

    public init(_ code: RPCErrorCode, _ message: String, data: JSONValue? = nil) {
        self.code = code.rawValue
        self.message = message
        self.data = data
    }
}

/// The error codes of protocol version 1 (docs/protocol.md). The -327xx/-326xx ones are
/// JSON-RPC's own; the -320xx ones are pacad's.
public enum RPCErrorCode: Int, Sendable, CaseIterable {
    /// The payload is not valid JSON (or not UTF-8).
    case parseError = -32700
    /// Valid JSON that is not a request object (not an object, no method, wrong jsonrpc version).
    case invalidRequest = -32600
    /// No method of that name.
    case methodNotFound = -32601
    /// The params are missing a member, have one of the wrong type, or have one that is not allowed.
    case invalidParams = -32602
    /// A bug or an unexpected failure inside the daemon.
    case internalError = -32603
    /// The backup, set, job or record named does not exist.
    case notFound = -32001
    /// The operation conflicts with one already running.
    case busy = -32002
    /// Reading or writing a target or the state directory failed.
    case storageError = -32003
    /// The request is well-formed but its values are not acceptable (a bad config, a bad pattern).
    case validationError = -32004
    /// The caller's uid and groups give it no role, a lower role than the method needs, or the
    /// set is limited to other callers (`data.needed` and `data.role` name the roles).
    case permissionDenied = -32005
    /// A frame longer than the limit; the connection is closed after this reply.
    case frameTooLarge = -32006
    /// The record changed since the caller read it (`if_version` did not match): read it again.
    case conflict = -32007
}

extension RPCErrorCode {
    /// The code's name: `notFound`, `invalidParams`.
    public var name: String { "\(self)" }

    /// When a reply carries the code, in words (docs/protocol.md's table).
    public var meaning: String {
        switch self {
        case .parseError: "the frame is not valid UTF-8 JSON (reply id null)"
        case .invalidRequest: "JSON that is not a request: not an object, jsonrpc not \"2.0\", no method, a bad id"
        case .methodNotFound: "no method of that name (data.methods lists them)"
        case .invalidParams: "params not an object, or a param missing, mistyped, out of range or not taken (data.param names it)"
        case .internalError: "a bug or an unexpected failure inside the daemon"
        case .notFound: "the backup, set, target, job, store or record named does not exist"
        case .busy: "the operation conflicts with one already running"
        case .storageError: "reading or writing a target or the state directory failed"
        case .validationError: "a well-formed request with values that cannot be used"
        case .permissionDenied: "the caller has no role, too low a role for the method, or the set is limited to others"
        case .frameTooLarge: "a frame over the size limit; the connection is then closed"
        case .conflict: "the record changed since it was read (if_version did not match)"
        }
    }
}
