public import PacaCore

/// `checkpoint.capture`: a training program hands over a checkpoint it has finished writing.
public struct CheckpointCaptureParams: WireParams, Equatable {
    public var path = ""
    public var set: String?
    public var step: Int64?
    public var metrics: Metrics?
    public var reason: String?
    public var copy = false
    public var wait = true
    public var progress = false
    public init() {}
    public static let fields: [WireField<CheckpointCaptureParams>] = [
        .required("path", \.path, "The checkpoint: an absolute path to a folder or a file inside one of the set's paths."),
        .optional("set", \.set, "The set whose paths hold it; without it, the one set whose paths do."),
        .optional("step", \.step, in: 0...Int64(1 << 53), "The training step it was saved at."),
        .optional("metrics", \.metrics, "What the trainer measured: names to numbers (at most 64), queryable as metrics.NAME."),
        .text("reason", \.reason, "Why, recorded in the catalog: at most 1000 characters, no control characters."),
        .defaulted(
            "copy", \.copy, default: false,
            "Copy every file (a reflink where the file system can) instead of hard-linking files; for checkpoints the trainer rewrites in place."
        ),
        .defaulted("wait", \.wait, default: true, "Reply when the backup has ended; false: as soon as the checkpoint is captured."),
        .defaulted(
            "progress", \.progress, default: false,
            "Send progress notifications: the first, phase captured, as soon as the checkpoint is captured; then the backup's."),
    ]
}

/// A checkpoint's metrics: names (1-128 characters, no control characters) to finite numbers.
public struct Metrics: WireValue, Equatable {
    public static let maxCount = 64
    public static let maxNameLength = 128
    public var values: [String: Double]
    public init(_ values: [String: Double]) { self.values = values }

    public static var wireSchema: JSONValue {
        [
            "type": "object", "maxProperties": .int(Int64(maxCount)), "additionalProperties": ["type": "number"],
            "propertyNames": ["minLength": 1, "maxLength": .int(Int64(maxNameLength)), "pattern": "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"],
        ]
    }
    public static var wireExpectation: String { "an object of names to numbers" }

    public init(wire: JSONValue) throws(WireProblem) {
        guard case .object(let members) = wire else { throw Self.mistyped(wire) }
        guard members.count <= Self.maxCount else {
            throw WireProblem(.invalid("at most \(Self.maxCount) metrics; \(members.count) were given", at: ""))
        }
        var values: [String: Double] = [:]
        for (name, value) in members {
            let scalars = name.unicodeScalars
            guard !scalars.isEmpty, scalars.count <= Self.maxNameLength,
                !scalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) })
            else {
                throw WireProblem(.invalid("a metric's name is 1 to \(Self.maxNameLength) characters without control characters", at: ""))
            }
            do { values[name] = try Double(wire: value) } catch { throw error.within(name) }
        }
        self.values = values
    }

    public var wire: JSONValue { .object(values.mapValues { .double($0) }) }
}

/// How a checkpoint was captured: `reflink`, `hardlink`, `copy`, or `mixed` when its files went
/// different ways; with the counts.
public struct CaptureSummary: WireObject, Equatable {
    public static let schemaName: String? = "CaptureSummary"
    public var method = ""
    public var files = 0
    public var bytes: UInt64 = 0
    public var reflinked = 0
    public var linked = 0
    public var copied = 0
    public var seconds = 0.0
    public init() {}
    public static let fields: [WireField<CaptureSummary>] = [
        .required("method", \.method, "reflink, hardlink, copy, or mixed."),
        .required("files", \.files, "Files captured."),
        .required("bytes", \.bytes, "Their bytes."),
        .required("reflinked", \.reflinked, "Files reflinked (sharing extents; safe from later writes)."),
        .required("linked", \.linked, "Files hard-linked (safe from deletion and renames, not from rewrites in place)."),
        .required("copied", \.copied, "Files copied."),
        .required("seconds", \.seconds, "How long the capture took."),
    ]
}

/// What `checkpoint.capture` answers: how it was captured, and the backup (its record once it
/// ended, or with `"wait": false` its admission).
public struct CheckpointCaptureResult: WireObject, Equatable {
    public var capture = CaptureSummary()
    public var backup = BackupCreateResult.admitted(BackupAdmission())
    public init() {}
    public init(capture: CaptureSummary, backup: BackupCreateResult) {
        self.capture = capture
        self.backup = backup
    }
    public static let fields: [WireField<CheckpointCaptureResult>] = [
        .required("capture", \.capture, "How the checkpoint was captured."),
        .required("backup", \.backup, "The backup's record, or with wait false its admission."),
    ]
}
