public import PacaCore

/// A backup as the catalog knows it (`backup.show`, and every method that returns one).
public struct Backup: WireObject, Equatable {
    public static let schemaName: String? = "Backup"
    public static let summary = "One backup: what was backed up, why, when, how it went and where the archive is."

    public var id = ""
    public var set = ""
    public var type = BackupType.full
    public var base: String?
    public var references: [String] = []
    public var filesReferenced = 0
    public var bytesReferenced: UInt64 = 0
    public var retired = false
    /// `manual`, `job:<name>`, `training_start`, `training_end`, `config_change`, `shutdown`, `emergency` or `rebuilt`.
    public var trigger = ""
    public var reason: String?
    public var status = BackupStatus.running
    public var startedAt = Timestamp(unixSeconds: 0)
    public var finishedAt: Timestamp?
    public var files = 0
    public var bytesIn: UInt64 = 0
    public var bytesWritten: UInt64 = 0
    public var bytesStored: UInt64 = 0
    public var ratio: Double?
    public var sha256: String?
    public var manifestSha256: String?
    public var target = ""
    public var path = ""
    public var deliveries: [Delivery] = []
    public var error: String?
    public var unreadable: [String] = []
    public var lost: [String]?
    public var changed = 0
    public var coalesced = 0
    public var pinned = false
    public var verified: Bool?
    public var verifiedAt: Timestamp?
    public var sealed = false
    public var checkpoint: String?
    public var step: Int64?
    public var metrics: Metrics?

    public init() {}

    public static let fields: [WireField<Backup>] = [
        .required("id", \.id, "The backup id: `<UTC time>-<set>-<4 hex digits>`, sorting by time."),
        .required("set", \.set, "The backup set."),
        .required(
            "type", \.type,
            "What the archive holds: `full`, every file's bytes; `incremental`, the files that changed since its base."),
        .optional("base", \.base, "The backup this one was compared with, if any."),
        .defaulted(
            "references", \.references, default: [],
            "The other backups whose archives hold bytes of this one's files; a restore needs them and retention keeps them."),
        .defaulted("files_referenced", \.filesReferenced, default: 0, "Files whose bytes are in the referenced archives."),
        .defaulted("bytes_referenced", \.bytesReferenced, default: 0, "Their bytes."),
        .defaulted(
            "retired", \.retired, default: false,
            "No longer a restore point: retention let it go, but its archive stays while kept backups reference it."),
        .required(
            "trigger", \.trigger,
            "What asked for it: manual, job:<name>, training_start, training_end, checkpoint, config_change, shutdown, emergency, rebuilt."),
        .optional("reason", \.reason, "Free text from whoever asked; for config_change, the first changed path."),
        .required(
            "status", \.status,
            "Where the backup is in its life: complete and partial backups are restore points; unverified ones (from a catalog rebuild) restore and become complete once `backup verify` passes; damaged ones (no good copy left) restore what is intact."
        ),
        .required("started_at", \.startedAt, "When it started."),
        .optional("finished_at", \.finishedAt, "When it ended."),
        .required("files", \.files, "Files of the set in this backup, held in its archive or referenced."),
        .required("bytes_in", \.bytesIn, "Bytes of those files: what the backup protects."),
        .defaulted("bytes_written", \.bytesWritten, default: 0, "Bytes of the files this backup's archive holds (read and stored by it)."),
        .required("bytes_stored", \.bytesStored, "Size of the archive file."),
        .optional("ratio", \.ratio, "Stored over read, for a complete backup."),
        .optional("sha256", \.sha256, "SHA-256 of the archive file, recorded when it was written (its sidecar says the same)."),
        .optional(
            "manifest_sha256", \.manifestSha256,
            "SHA-256 of the archive's manifest entry, recorded when it was written: restores refuse an archive whose manifest differs."),
        .required("target", \.target, "The first target that has the archive."),
        .required("path", \.path, "Where the archive is on that target: a path, or s3://bucket/key."),
        .required("deliveries", \.deliveries, "One per target the archive goes to, each tracked on its own."),
        .optional("error", \.error, "Why it failed, for a backup that did not complete."),
        .required("unreadable", \.unreadable, "Files that could not be read in full, with the reason."),
        .optional(
            "lost", \.lost,
            "For a damaged backup: the files no copy holds intact (empty when the whole archive is gone).", omittedWhenNil: true),
        .required("changed", \.changed, "Files that changed while they were read."),
        .required("coalesced", \.coalesced, "Requests folded into this backup because one for the set was waiting."),
        .required("pinned", \.pinned, "Kept whatever retention says, while the policy keeps tagged backups."),
        .optional("verified", \.verified, "How the last verification went."),
        .optional("verified_at", \.verifiedAt, "When it was last verified."),
        .defaulted(
            "sealed", \.sealed, default: false,
            "The archive is sealed with age (<id>.zip.age): pacad checks its stored bytes; reading it takes an identity, on the caller's side."
        ),
        .optional("checkpoint", \.checkpoint, "For a checkpoint capture: the checkpoint's path.", omittedWhenNil: true),
        .optional("step", \.step, "For a checkpoint capture: the training step it was saved at.", omittedWhenNil: true),
        .optional("metrics", \.metrics, "For a checkpoint capture: what the trainer measured, names to numbers.", omittedWhenNil: true),
    ]
}

/// What a backup's archive holds.
public enum BackupType: String, WireEnum {
    case full, incremental
}

/// Where a backup is in its life.
public enum BackupStatus: String, WireEnum {
    case running, complete, partial, failed, interrupted, cancelled, unverified, damaged
}

/// The archive of one backup on one target.
public struct Delivery: WireObject, Equatable {
    public static let schemaName: String? = "Delivery"
    public static let summary = "The archive of one backup on one target."

    public var target = ""
    public var status = DeliveryStatus.pending
    public var location = ""
    public var error: String?
    public var attempts = 0
    public var deliveredAt: Timestamp?
    public var nextAttemptAt: Timestamp?
    public var verifiedAt: Timestamp?

    public init() {}

    public static let fields: [WireField<Delivery>] = [
        .required("target", \.target, "The target's name."),
        .required("status", \.status, "pending, ok, failed (retried at next_attempt_at) or deleting."),
        .required("location", \.location, "Where the archive is (or goes) on the target."),
        .optional("error", \.error, "Why the last attempt failed."),
        .required("attempts", \.attempts, "Attempts made so far."),
        .optional("delivered_at", \.deliveredAt, "When the archive arrived."),
        .optional("next_attempt_at", \.nextAttemptAt, "When a failed delivery is tried again."),
        .optional("verified_at", \.verifiedAt, "When a scrub last read this copy back and found it as written."),
    ]
}

public enum DeliveryStatus: String, WireEnum {
    case pending, ok, failed, deleting
}

/// `{backups: [...]}`.
public struct BackupList: WireObject, Equatable {
    public var backups: [Backup] = []
    public var nextOffset: Int64?
    public init() {}
    public init(backups: [Backup], nextOffset: Int64? = nil) {
        self.backups = backups
        self.nextOffset = nextOffset
    }
    public static let fields: [WireField<BackupList>] = [
        .required("backups", \.backups, "The backups, in the order asked for: at most 1000."),
        .optional(
            "next_offset", \.nextOffset, "Present when more backups match: ask again with this offset for the next page.",
            omittedWhenNil: true),
    ]
}

/// A backup request that was admitted and not waited for (`"wait": false`).
public struct BackupAdmission: WireObject, Equatable {
    public static let schemaName: String? = "BackupAdmission"
    public var set = ""
    public var status = AdmissionStatus.running
    /// The backup's id, once it has one (a queued backup has none yet).
    public var id: String?
    public init() {}
    public static let fields: [WireField<BackupAdmission>] = [
        .required("set", \.set, "The set being backed up."),
        .required("status", \.status, "running, or queued behind a running backup of the set."),
        .optional("id", \.id, "The backup's id, once it has started."),
    ]
}

public enum AdmissionStatus: String, WireEnum {
    case running, queued
}

/// What `backup.create` answers: the backup once it ended, or, with `"wait": false`, that it started.
public enum BackupCreateResult: WireValue, Equatable {
    case finished(Backup)
    case admitted(BackupAdmission)

    public static var wireSchema: JSONValue { ["anyOf": [Backup.wireSchema, BackupAdmission.wireSchema]] }
    public static var wireExpectation: String { "a backup or an admission" }
    public static func registerSchemas(in schemas: inout [String: JSONValue]) {
        Backup.registerSchemas(in: &schemas)
        BackupAdmission.registerSchemas(in: &schemas)
    }

    public init(wire: JSONValue) throws(WireProblem) {
        self = wire["files"] != nil ? .finished(try Backup(wire: wire)) : .admitted(try BackupAdmission(wire: wire))
    }

    public var wire: JSONValue {
        switch self {
        case .finished(let backup): backup.wire
        case .admitted(let admission): admission.wire
        }
    }
}

/// `{deleted: backup}`: the record as it was.
public struct DeletedBackup: WireObject, Equatable {
    public var deleted = Backup()
    public init() {}
    public init(deleted: Backup) { self.deleted = deleted }
    public static let fields: [WireField<DeletedBackup>] = [.required("deleted", \.deleted, "The backup's record as it was.")]
}
