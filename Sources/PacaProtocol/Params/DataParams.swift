public import PacaCore

/// `data.put`.
public struct DataPutParams: WireParams, Equatable {
    public var store = ""
    public var data: JSONValue = .null
    public var type: Record.DataType?
    public init() {}
    public init(store: String, data: JSONValue, type: Record.DataType?) {
        self.store = store
        self.data = data
        self.type = type
    }
    public static let fields: [WireField<DataPutParams>] = [
        .name("store", \.store, "The store."),
        .required("data", \.data, "The record's data, any JSON."),
        .optional("type", \.type, "The data's type; by default, from the JSON."),
    ]
}

/// `data.get`.
public struct DataGetParams: WireParams, Equatable {
    public var store = ""
    public var id = ""
    public init() {}
    public init(store: String, id: String) {
        self.store = store
        self.id = id
    }
    public static let fields: [WireField<DataGetParams>] = [.name("store", \.store, "The store."), .name("id", \.id, "The record's id.")]
}

/// `data.update`.
public struct DataUpdateParams: WireParams, Equatable {
    public var store = ""
    public var id = ""
    public var data: JSONValue = .null
    public var type: Record.DataType?
    public var ifVersion: Int64?
    public init() {}
    public init(store: String, id: String, data: JSONValue, type: Record.DataType?, ifVersion: Int64?) {
        self.store = store
        self.id = id
        self.data = data
        self.type = type
        self.ifVersion = ifVersion
    }
    public static let fields: [WireField<DataUpdateParams>] = [
        .name("store", \.store, "The store."),
        .name("id", \.id, "The record's id."),
        .required("data", \.data, "The new data."),
        .optional("type", \.type, "The data's type; by default, from the JSON."),
        .optional("if_version", \.ifVersion, in: 1...Int64.max, "Only if the record is still at this version (else -32007)."),
    ]
}

/// `data.delete`.
public struct DataDeleteParams: WireParams, Equatable {
    public var store = ""
    public var id = ""
    public var ifVersion: Int64?
    public init() {}
    public init(store: String, id: String, ifVersion: Int64?) {
        self.store = store
        self.id = id
        self.ifVersion = ifVersion
    }
    public static let fields: [WireField<DataDeleteParams>] = [
        .name("store", \.store, "The store."),
        .name("id", \.id, "The record's id."),
        .optional("if_version", \.ifVersion, in: 1...Int64.max, "Only if the record is still at this version (else -32007)."),
    ]
}

/// `data.query`.
public struct DataQueryParams: WireParams, Equatable {
    public var store = ""
    public var filter: Filter?
    public var sortBy: String?
    public var sortOrder: SortOrder?
    public var limit: Int64?
    public var offset: Int64?
    public init() {}
    public static let fields: [WireField<DataQueryParams>] = [
        .name("store", \.store, "The store."),
        .optional("filter", \.filter, "A filter over the records (docs/data.md)."),
        .optional("sort_by", \.sortBy, "A dotted field, or created_at, updated_at, id, version."),
        .optional("sort_order", \.sortOrder, "asc or desc."),
        .optional(
            "limit", \.limit, in: 1...Page.size, "At most N records; without it, a page of 1000 (next_offset says where the next starts)."),
        .optional("offset", \.offset, in: 0...Int64(Int32.max), "Skip the first N."),
    ]
}
