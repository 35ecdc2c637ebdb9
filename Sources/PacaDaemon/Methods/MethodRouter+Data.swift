import PacaCore
import PacaData
import PacaProtocol

extension MethodRouter {
    /// `data.put {store, data, type?}`: a new record; its id is generated.
    func putRecord(_ request: RPCRequest) async throws(RPCError) -> JSONValue {
        let params = try Params(request, allowed: ["store", "data", "type"])
        let store = try params.requiredString("store")
        let data = try params.required("data")
        let type = try Self.dataType(params)
        return try await Self.answer { () throws(DataError) in try await context.data.put(store, data, type: type).json }
    }

    /// `data.get {store, id}`.
    func getRecord(_ request: RPCRequest) async throws(RPCError) -> JSONValue {
        let params = try Params(request, allowed: ["store", "id"])
        let (store, id) = (try params.requiredString("store"), try params.requiredString("id"))
        return try await Self.answer { () throws(DataError) in try await context.data.get(store, id).json }
    }

    /// `data.update {store, id, data, type?, if_version?}`: replaces the data; with `if_version`,
    /// only if the record still has that version (else -32007 and nothing changes).
    func updateRecord(_ request: RPCRequest) async throws(RPCError) -> JSONValue {
        let params = try Params(request, allowed: ["store", "id", "data", "type", "if_version"])
        let (store, id) = (try params.requiredString("store"), try params.requiredString("id"))
        let data = try params.required("data")
        let type = try Self.dataType(params)
        let version = try params.integer("if_version", in: 1...Int64.max)
        return try await Self.answer { () throws(DataError) in
            try await context.data.update(store, id, data: data, type: type, ifVersion: version).json
        }
    }

    /// `data.delete {store, id, if_version?}`: the record as it was.
    func deleteRecord(_ request: RPCRequest) async throws(RPCError) -> JSONValue {
        let params = try Params(request, allowed: ["store", "id", "if_version"])
        let (store, id) = (try params.requiredString("store"), try params.requiredString("id"))
        let version = try params.integer("if_version", in: 1...Int64.max)
        return try await Self.answer { () throws(DataError) in try await context.data.delete(store, id, ifVersion: version).json }
    }

    /// `data.query {store, filter?, sort_by?, sort_order?, limit?, offset?}`: `{records: [...]}`.
    func queryRecords(_ request: RPCRequest) async throws(RPCError) -> JSONValue {
        let params = try Params(request, allowed: ["store", "filter", "sort_by", "sort_order", "limit", "offset"])
        let store = try params.requiredString("store")
        let query = try Self.query(params)
        return try await Self.answer { () throws(DataError) in
            .object(["records": .array(try await context.data.query(store, query).map(\.json))])
        }
    }

    /// The query members of `params`: a structured `filter`, `sort_by` (a dotted field),
    /// `sort_order` (`asc` or `desc`), `limit` and `offset`.
    static func query(_ params: Params) throws(RPCError) -> Query {
        var query = Query()
        if let filter = params.members["filter"], filter != .null {
            do { query.filter = try Filter(json: filter) } catch {
                throw RPCError(
                    .invalidParams, "\(params.method): \(error.description)",
                    data: .object(["param": .string("filter"), "at": .string(error.location ?? "filter")]))
            }
        }
        if let field = try params.string("sort_by") { query.sortBy = FieldPath(dotted: field) }
        if let order = try params.string("sort_order") {
            guard let parsed = SortOrder(rawValue: order) else {
                throw RPCError(
                    .invalidParams, "\(params.method): sort_order \"\(order)\" is not asc or desc", data: .object(["param": .string("sort_order")]))
            }
            query.order = parsed
        }
        query.limit = try params.integer("limit", in: 1...100_000).map(Int.init)
        query.offset = Int(try params.integer("offset", in: 0...Int64(Int32.max)) ?? 0)
        return query
    }

    static func dataType(_ params: Params) throws(RPCError) -> Record.DataType? {
        guard let name = try params.string("type") else { return nil }
        guard let type = Record.DataType(rawValue: name) else {
            let known = Record.DataType.allCases.map(\.rawValue).joined(separator: ", ")
            throw RPCError(.invalidParams, "\(params.method): type \"\(name)\" is not one of \(known)", data: .object(["param": .string("type")]))
        }
        return type
    }

    static func answer(_ body: () async throws(DataError) -> JSONValue) async throws(RPCError) -> JSONValue {
        do { return try await body() } catch { throw RPCError(error) }
    }
}

extension RPCError {
    /// The wire error for a record store error.
    init(_ error: DataError) {
        let code: RPCErrorCode =
            switch error.code {
            case .notFound: .notFound
            case .conflict: .conflict
            case .invalid: .validationError
            case .storage: .storageError
            }
        self.init(code, error.message)
    }
}
