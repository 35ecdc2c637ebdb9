import PacaCore
import PacaProtocol

/// Reads a request's params with the checks every method needs: required members, types, and no
/// members the method does not know (a misspelt `overwite` must not be silently ignored).
struct Params {
    let method: String
    let members: [String: JSONValue]

    init(_ request: RPCRequest, allowed: Set<String>) throws(RPCError) {
        method = request.method
        members = request.params
        let unknown = members.keys.filter { !allowed.contains($0) }.sorted()
        if let first = unknown.first {
            let known = allowed.isEmpty ? "it takes no params" : "it takes: \(allowed.sorted().joined(separator: ", "))"
            throw RPCError(.invalidParams, "\(method): unknown param \"\(first)\"; \(known)", data: .object(["param": .string(first)]))
        }
    }

    func string(_ key: String) throws(RPCError) -> String? {
        switch members[key] {
        case nil, .null?: return nil
        case .string(let value)?: return value
        case let other?: throw mistyped(key, "a string", other)
        }
    }

    func requiredString(_ key: String) throws(RPCError) -> String {
        guard let value = try string(key) else {
            throw RPCError(.invalidParams, "\(method): missing param \"\(key)\"", data: .object(["param": .string(key)]))
        }
        guard !value.isEmpty else {
            throw RPCError(.invalidParams, "\(method): param \"\(key)\" is empty", data: .object(["param": .string(key)]))
        }
        return value
    }

    /// A member of any JSON type, which must be present (null counts as present).
    func required(_ key: String) throws(RPCError) -> JSONValue {
        guard let value = members[key] else {
            throw RPCError(.invalidParams, "\(method): missing param \"\(key)\"", data: .object(["param": .string(key)]))
        }
        return value
    }

    func bool(_ key: String, default fallback: Bool) throws(RPCError) -> Bool {
        switch members[key] {
        case nil, .null?: return fallback
        case .bool(let value)?: return value
        case let other?: throw mistyped(key, "true or false", other)
        }
    }

    func integer(_ key: String, in range: ClosedRange<Int64>) throws(RPCError) -> Int64? {
        switch members[key] {
        case nil, .null?: return nil
        case .int(let value)?:
            guard range.contains(value) else {
                throw RPCError(
                    .invalidParams, "\(method): param \"\(key)\" is \(value), outside \(range.lowerBound)-\(range.upperBound)",
                    data: .object(["param": .string(key)]))
            }
            return value
        case let other?: throw mistyped(key, "an integer", other)
        }
    }

    func strings(_ key: String) throws(RPCError) -> [String] {
        switch members[key] {
        case nil, .null?: return []
        case .array(let items)?:
            var values: [String] = []
            for item in items {
                guard case .string(let value) = item else { throw mistyped(key, "a list of strings", .array(items)) }
                values.append(value)
            }
            return values
        case let other?: throw mistyped(key, "a list of strings", other)
        }
    }

    private func mistyped(_ key: String, _ expected: String, _ value: JSONValue) -> RPCError {
        RPCError(
            .invalidParams, "\(method): param \"\(key)\" must be \(expected), not a \(value.typeName)",
            data: .object(["param": .string(key)]))
    }
}
