public import PacaCore

/// A request id: JSON-RPC allows a number or a string (and null, for replies to unparseable requests).
public enum RPCID: Sendable, Hashable, Codable, CustomStringConvertible {
    case number(Int64)
    case string(String)
    case null

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let number = try? container.decode(Int64.self) {
            self = .number(number)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .number(let n): try container.encode(n)
        case .string(let s): try container.encode(s)
        case .null: try container.encodeNil()
        }
    }

    public var description: String {
        switch self {
        case .number(let n): String(n)
        case .string(let s): "\"\(s)\""
        case .null: "null"
        }
    }

    /// The id a JSON value names, if it is a number or a string.
    init?(json: JSONValue?) {
        switch json {
        case .int(let n)?: self = .number(n)
        case .string(let s)?: self = .string(s)
        default: return nil
        }
    }

    var json: JSONValue {
        switch self {
        case .number(let n): .int(n)
        case .string(let s): .string(s)
        case .null: .null
        }
    }
}

/// A request as the daemon receives it: `{"jsonrpc":"2.0","id":7,"method":"backup.create","params":{…}}`.
/// A request without an id is a notification and gets no reply.
public struct RPCRequest: Sendable, Hashable {
    public var id: RPCID?
    public var method: String
    /// Always an object; a request without params gets an empty one.
    public var params: [String: JSONValue]

    public init(id: RPCID?, method: String, params: [String: JSONValue] = [:]) {
        self.id = id
        self.method = method
        self.params = params
    }

    /// Decodes one frame's payload. A failure carries the reply to send: a parse error for bad
    /// JSON, an invalid-request error (with the id when one could be read) for anything that is
    /// JSON but not a request.
    public static func decode(_ payload: [UInt8]) -> Result<RPCRequest, RPCFailure> {
        guard let value = try? JSONValue.parse(payload) else {
            return .failure(RPCFailure(id: .null, error: RPCError(.parseError, "the frame is not valid UTF-8 JSON")))
        }
        guard case .object(let members) = value else {
            return .failure(
                RPCFailure(id: .null, error: RPCError(.invalidRequest, "a request must be a JSON object, not a \(value.typeName)")))
        }
        var id: RPCID?
        switch members["id"] {
        case nil: id = nil
        case .int(let n)?: id = .number(n)
        case .string(let s)?: id = .string(s)
        case .null?: id = .null
        case let other?:
            return .failure(
                RPCFailure(id: .null, error: RPCError(.invalidRequest, "\"id\" must be a number or a string, not a \(other.typeName)")))
        }
        guard members["jsonrpc"] == .string("2.0") else {
            return .failure(RPCFailure(id: id ?? .null, error: RPCError(.invalidRequest, "\"jsonrpc\" must be \"2.0\"")))
        }
        guard case .string(let method)? = members["method"], !method.isEmpty else {
            return .failure(RPCFailure(id: id ?? .null, error: RPCError(.invalidRequest, "\"method\" must be a non-empty string")))
        }
        switch members["params"] {
        case nil, .null?:
            return .success(RPCRequest(id: id, method: method))
        case .object(let params)?:
            return .success(RPCRequest(id: id, method: method, params: params))
        case let other?:
            return .failure(
                RPCFailure(id: id ?? .null, error: RPCError(.invalidParams, "\"params\" must be an object, not a \(other.typeName)")))
        }
    }

    /// The request as JSON text, keys sorted.
    public var encoded: [UInt8] {
        var members: [String: JSONValue] = ["jsonrpc": .string("2.0"), "method": .string(method), "params": .object(params)]
        if let id { members["id"] = id.json }
        return JSONValue.object(members).serialized
    }
}

/// A request that could not be accepted, with the id to answer to.
public struct RPCFailure: Error, Sendable, Hashable {
    public var id: RPCID
    public var error: RPCError
}

/// Everything the daemon sends: replies and progress notifications.
public enum RPCResponse: Sendable, Hashable {
    case result(id: RPCID, JSONValue)
    case error(id: RPCID, RPCError)
    /// `{"jsonrpc":"2.0","method":"progress","params":{"id":7,…}}`, sent before the reply to
    /// request 7 when it asked for progress.
    case progress(requestID: RPCID, JSONValue)

    /// The message as JSON text, keys sorted.
    public var encoded: [UInt8] {
        switch self {
        case .result(let id, let value):
            return JSONValue.object(["jsonrpc": .string("2.0"), "id": id.json, "result": value]).serialized
        case .error(let id, let error):
            var object: [String: JSONValue] = ["code": .int(Int64(error.code)), "message": .string(error.message)]
            if let data = error.data { object["data"] = data }
            return JSONValue.object(["jsonrpc": .string("2.0"), "id": id.json, "error": .object(object)]).serialized
        case .progress(let id, let value):
            var params: [String: JSONValue] = ["id": id.json]
            if case .object(let members) = value { params.merge(members) { _, new in new } } else { params["value"] = value }
            return JSONValue.object(["jsonrpc": .string("2.0"), "method": .string("progress"), "params": .object(params)]).serialized
        }
    }

    /// Decodes a message the client received: a reply (result or error) or a progress notification.
    public static func decode(_ payload: [UInt8]) throws(RPCError) -> RPCResponse {
        guard let value = try? JSONValue.parse(payload), case .object(let members) = value else {
            throw RPCError(.parseError, "the daemon sent a frame that is not a JSON object")
        }
        if members["method"] == .string("progress"), case .object(let params)? = members["params"] {
            let id = RPCID(json: params["id"]) ?? .null
            return .progress(requestID: id, .object(params.filter { $0.key != "id" }))
        }
        let id = RPCID(json: members["id"]) ?? .null
        if let result = members["result"] { return .result(id: id, result) }
        if case .object(let error)? = members["error"], case .int(let code)? = error["code"], case .string(let message)? = error["message"]
        {
            var rpcError = RPCError(.internalError, message, data: error["data"])
            rpcError.code = Int(code)
            return .error(id: id, rpcError)
        }
        throw RPCError(.invalidRequest, "the daemon sent a reply with neither a result nor an error")
    }
}
