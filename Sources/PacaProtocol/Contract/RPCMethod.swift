public import PacaCore

/// One method of the protocol, declared once: its name, its params and result as types of this
/// module, the role a caller needs, and the errors it answers with. The daemon's router, the
/// clients, the tests and the published OpenRPC document all read these declarations
/// (``Methods``); nothing else spells a method's name.
public struct RPCMethod<Params: WireParams, Result: WireValue>: Sendable {
    public let name: String
    public let role: Role
    /// One line: what the method does.
    public let summary: String
    /// The result's name in the OpenRPC document.
    public let resultName: String
    /// The application errors the method answers with, each with when it does.
    public let errors: [MethodError]
    /// Whether the method sends `progress` notifications before its reply when asked to.
    public let reportsProgress: Bool

    public init(
        _ name: String, role: Role, summary: String, result resultName: String, errors: [MethodError] = [], reportsProgress: Bool = false
    ) {
        self.name = name
        self.role = role
        self.summary = summary
        self.resultName = resultName
        self.errors = errors
        self.reportsProgress = reportsProgress
    }

    /// The request for this method with `params` and `id`.
    public func request(_ params: Params, id: RPCID?) -> RPCRequest {
        RPCRequest(id: id, method: name, params: params.members)
    }

    /// Reads a reply's result; a result that does not match the contract is a problem naming where.
    public func result(from wire: JSONValue) throws(WireProblem) -> Result {
        try Result(wire: wire)
    }

    /// The method without its types, for tables and the OpenRPC document.
    public var descriptor: MethodDescriptor {
        MethodDescriptor(
            name: name, role: role, summary: summary, errors: errors, reportsProgress: reportsProgress,
            params: Params.fields.map {
                MethodDescriptor.Param(name: $0.name, summary: $0.summary, isRequired: $0.isRequired, schema: $0.schema)
            },
            resultName: resultName, resultSchema: Result.wireSchema,
            registerSchemas: { schemas in
                Params.registerSchemas(in: &schemas)
                Result.registerSchemas(in: &schemas)
            })
    }
}

/// An error a method answers with, and when.
public struct MethodError: Sendable {
    public let code: RPCErrorCode
    public let when: String

    public init(_ code: RPCErrorCode, _ when: String) {
        self.code = code
        self.when = when
    }
}

/// A method without its Swift types: what a table of methods, the router's refusal of an unknown
/// method and the OpenRPC document need.
public struct MethodDescriptor: Sendable {
    public struct Param: Sendable {
        public let name: String
        public let summary: String
        public let isRequired: Bool
        public let schema: JSONValue
    }

    public let name: String
    public let role: Role
    public let summary: String
    public let errors: [MethodError]
    public let reportsProgress: Bool
    public let params: [Param]
    public let resultName: String
    public let resultSchema: JSONValue
    let registerSchemas: @Sendable (inout [String: JSONValue]) -> Void
}
