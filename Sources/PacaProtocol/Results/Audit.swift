public import PacaCore

/// `audit.list`.
public struct AuditListParams: WireParams, Equatable {
    public var filter: Filter?
    public var limit: Int64?
    public var beforeSeq: Int64?
    public init() {}
    public init(filter: Filter?, limit: Int64?, beforeSeq: Int64? = nil) {
        self.filter = filter
        self.limit = limit
        self.beforeSeq = beforeSeq
    }
    public static let fields: [WireField<AuditListParams>] = [
        .optional(
            "filter", \.filter,
            "A filter over the lines' fields: time, uid, gid, user, pid, exe, comm, method, params, outcome, code, ms, seq (docs/data.md)."),
        .optional("limit", \.limit, in: 1...1000, "The newest N matching lines (default 100; a page holds at most 1000)."),
        .optional(
            "before_seq", \.beforeSeq,
            "Only lines older than this seq: the next page back, with the previous answer's next_before_seq."),
    ]
}

/// Lines of the audit log.
public struct AuditList: WireObject, Equatable {
    public var entries: [JSONValue] = []
    public var nextBeforeSeq: Int64?
    public init() {}
    public init(entries: [JSONValue], nextBeforeSeq: Int64? = nil) {
        self.entries = entries
        self.nextBeforeSeq = nextBeforeSeq
    }
    public static let fields: [WireField<AuditList>] = [
        .required(
            "entries", \.entries,
            "The matching lines, oldest first, each as written: seq, time, uid, gid, user, pid, exe (null where pacad may not read it), comm (the name the caller gives itself), method, params (secrets and contents removed, long values cut), outcome (ok, denied, error), code, ms, prev (the SHA-256 of the line before)."
        ),
        .optional(
            "next_before_seq", \.nextBeforeSeq,
            "Present when older matching lines exist: ask again with it as before_seq for the page before these.", omittedWhenNil: true),
    ]
}

/// The first line that breaks the audit log's chain.
public struct AuditProblem: WireObject, Equatable {
    public static let schemaName: String? = "AuditProblem"
    public var file = ""
    public var line = 0
    public var message = ""
    public init() {}
    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }
    public static let fields: [WireField<AuditProblem>] = [
        .required("file", \.file, "audit.log, or a rotated audit.log.N."),
        .required("line", \.line, "The line's number in that file, from 1."),
        .required("message", \.message, "What is wrong with it."),
    ]
}

/// What `audit.verify` found.
public struct AuditVerification: WireObject, Equatable {
    public var ok = false
    public var lines = 0
    public var files: [String] = []
    public var problem: AuditProblem?
    public init() {}
    public static let fields: [WireField<AuditVerification>] = [
        .required("ok", \.ok, "Every line follows the one before it, and the last is the last pacad wrote."),
        .required("lines", \.lines, "Lines read."),
        .required("files", \.files, "The files read, oldest first."),
        .optional("problem", \.problem, "The first bad line, when ok is false."),
    ]
}
