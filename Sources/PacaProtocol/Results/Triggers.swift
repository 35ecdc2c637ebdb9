public import PacaCore

/// The events `trigger.fire` can announce.
public enum TriggerKind: String, WireEnum {
    case trainingStart = "training_start"
    case trainingEnd = "training_end"
    case configChange = "config_change"
    case shutdown
    case emergency
}

/// What `trigger.fire` answers: one entry per set, in set order.
public struct TriggerResult: WireObject, Equatable {
    public var kind = TriggerKind.trainingStart
    public var backups: [TriggeredBackup] = []
    public init() {}
    public init(kind: TriggerKind, backups: [TriggeredBackup]) {
        self.kind = kind
        self.backups = backups
    }
    public static let fields: [WireField<TriggerResult>] = [
        .required("kind", \.kind, "The trigger fired."),
        .required("backups", \.backups, "Each set's backup: its record, what started (without waiting), or why it could not start."),
    ]
}

/// One set's part of a fired trigger.
public enum TriggeredBackup: WireValue, Equatable {
    /// The backup ended (whatever its status).
    case finished(Backup)
    /// Started or queued; the reply did not wait (`"wait": false`).
    case admitted(set: String, status: AdmissionStatus)
    /// It could not start.
    case failed(set: String, error: String)

    public static var wireSchema: JSONValue {
        let text: JSONValue = ["type": "string"]
        let failedStatus: JSONValue = ["type": "string", "enum": ["failed"]]
        let started: JSONValue = [
            "type": "object", "required": ["set", "status"], "properties": ["set": text, "status": AdmissionStatus.wireSchema],
        ]
        let failed: JSONValue = [
            "type": "object", "required": ["set", "status", "error"], "properties": ["set": text, "status": failedStatus, "error": text],
        ]
        return ["anyOf": [Backup.wireSchema, started, failed]]
    }
    public static var wireExpectation: String { "a backup or a set's status" }
    public static func registerSchemas(in schemas: inout [String: JSONValue]) { Backup.registerSchemas(in: &schemas) }

    public init(wire: JSONValue) throws(WireProblem) {
        if wire["files"] != nil {
            self = .finished(try Backup(wire: wire))
            return
        }
        guard case .string(let set)? = wire["set"], case .string(let status)? = wire["status"] else {
            throw WireProblem(.mistyped(expected: Self.wireExpectation, found: wire.typeName))
        }
        if status == "failed" {
            self = .failed(set: set, error: wire["error"].flatMap { if case .string(let text) = $0 { text } else { nil } } ?? "")
        } else {
            self = .admitted(set: set, status: try AdmissionStatus(wire: .string(status)))
        }
    }

    public var wire: JSONValue {
        switch self {
        case .finished(let backup): backup.wire
        case .admitted(let set, let status): ["set": .string(set), "status": status.wire]
        case .failed(let set, let error): ["set": .string(set), "status": "failed", "error": .string(error)]
        }
    }

    /// The set it is about.
    public var set: String {
        switch self {
        case .finished(let backup): backup.set
        case .admitted(let set, _), .failed(let set, _): set
        }
    }
}
