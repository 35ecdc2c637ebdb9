public import PacaCore

/// A method's params: a ``WireObject`` read strictly, where anything wrong is an invalid-params
/// error (-32602) that names the param (`data.param`): a member the method does not take (a
/// misspelt `overwite` must not be silently ignored), a missing, empty, mistyped or out-of-range
/// one.
public protocol WireParams: WireObject {}

extension WireParams {
    /// Reads a request's `params` for `method`.
    public static func decode(_ members: [String: JSONValue], method: String) throws(RPCError) -> Self {
        let fields = Self.fields
        // A linear look-up: methods take a handful of params, and this is every request's path.
        if let unknown = members.keys.filter({ name in !fields.contains { $0.name == name } }).min() {
            let known = fields.map(\.name).sorted()
            let takes = known.isEmpty ? "it takes no params" : "it takes: \(known.joined(separator: ", "))"
            throw RPCError(.invalidParams, "\(method): unknown param \"\(unknown)\"; \(takes)", data: ["param": .string(unknown)])
        }
        do { return try Self(wire: .object(members)) } catch { throw invalidParams(error, method: method) }
    }

    /// The params to send: every member that has a value (a param with none is left out).
    public var members: [String: JSONValue] {
        guard case .object(var members) = wire else { return [:] }
        for field in Self.fields where !field.isRequired && members[field.name] == .null { members[field.name] = nil }
        return members
    }

    static func invalidParams(_ problem: WireProblem, method: String) -> RPCError {
        let param = problem.path.first ?? ""
        var data: [String: JSONValue] = ["param": .string(param)]
        let message: String
        switch problem.reason {
        case .missing: message = "missing param \"\(param)\""
        case .empty: message = "param \"\(param)\" is empty"
        case .mistyped(let expected, let found):
            let place = problem.path.count > 1 ? "param \"\(problem.location)\"" : "param \"\(param)\""
            message = "\(place) must be \(expected), not a \(found)"
        case .outOfRange(let value, let range): message = "param \"\(param)\" is \(value), outside \(range.lowerBound)-\(range.upperBound)"
        case .notOneOf(let value, let options): message = "\(param) \"\(value)\" is not one of \(options.joined(separator: ", "))"
        case .invalid(let text, let at):
            message = text
            if let at { data["at"] = .string(at) }
        case .unknownMember(let name, _): message = "unknown param \"\(name)\""
        }
        return RPCError(.invalidParams, "\(method): \(message)", data: .object(data))
    }
}

/// The params of a method that takes none.
public struct NoParams: WireParams {
    public init() {}
    public static let fields: [WireField<NoParams>] = []
}
