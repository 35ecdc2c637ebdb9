import PacaCore
import PacaData
import PacaProtocol

extension MethodRouter {
    /// `data.put`: a new record; its id is generated.
    func putRecord(_ params: DataPutParams) async throws(RPCError) -> DataRecord {
        try await Self.answer { () throws(DataError) in DataRecord(try await context.data.put(params.store, params.data, type: params.type))
        }
    }

    /// `data.get`.
    func getRecord(_ params: DataGetParams) async throws(RPCError) -> DataRecord {
        try await Self.answer { () throws(DataError) in DataRecord(try await context.data.get(params.store, params.id)) }
    }

    /// `data.update`: replaces the data; with `if_version`, only if the record still has that
    /// version (else -32007 and nothing changes).
    func updateRecord(_ params: DataUpdateParams) async throws(RPCError) -> DataRecord {
        try await Self.answer { () throws(DataError) in
            DataRecord(
                try await context.data.update(params.store, params.id, data: params.data, type: params.type, ifVersion: params.ifVersion))
        }
    }

    /// `data.delete`: the record as it was.
    func deleteRecord(_ params: DataDeleteParams) async throws(RPCError) -> DataRecord {
        try await Self.answer { () throws(DataError) in
            DataRecord(try await context.data.delete(params.store, params.id, ifVersion: params.ifVersion))
        }
    }

    /// `data.query`.
    func queryRecords(_ params: DataQueryParams) async throws(RPCError) -> RecordList {
        let pageSize = params.limit ?? Page.size
        let query = Self.query(
            filter: params.filter, sortBy: params.sortBy, order: params.sortOrder, limit: pageSize + 1, offset: params.offset)
        return try await Self.answer { () throws(DataError) in
            // One more than the page tells whether another page follows.
            let found = try await context.data.query(params.store, query)
            let more = found.count > Int(pageSize)
            return RecordList(
                records: found.prefix(Int(pageSize)).map(DataRecord.init), nextOffset: more ? (params.offset ?? 0) + pageSize : nil)
        }
    }

    static func answer<T>(_ body: () async throws(DataError) -> T) async throws(RPCError) -> T {
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
