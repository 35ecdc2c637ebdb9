public import PacaCore

/// `backup.create`.
public struct BackupCreateParams: WireParams, Equatable {
    public var set: String?
    public var reason: String?
    public var wait = true
    public var progress = false
    public var full = false
    public var rehash = false
    public init() {}
    public init(set: String?, reason: String?, wait: Bool = true, progress: Bool = false) {
        self.set = set
        self.reason = reason
        self.wait = wait
        self.progress = progress
    }
    public static let fields: [WireField<BackupCreateParams>] = [
        .optional("set", \.set, "The set to back up; needed when several are configured."),
        .text("reason", \.reason, "Why, recorded in the catalog: at most 1000 characters, no control characters."),
        .defaulted("wait", \.wait, default: true, "Reply when the backup has ended; false: as soon as it is admitted."),
        .defaulted("progress", \.progress, default: false, "Send progress notifications before the reply."),
        .defaulted("full", \.full, default: false, "Store every file's bytes in this backup's archive, whatever changed."),
        .defaulted(
            "rehash", \.rehash, default: false, "Read every file whose size did not change and compare digests instead of trusting times."),
    ]
}

/// How many items a list answer holds at most; more are asked for by `offset`.
public enum Page {
    public static let size: Int64 = 1000
}

/// `backup.list`: the catalog, or a query over it.
public struct BackupListParams: WireParams, Equatable {
    public var set: String?
    public var status: BackupStatus?
    public var limit: Int64?
    public var filter: Filter?
    public var sortBy: String?
    public var sortOrder: SortOrder?
    public var offset: Int64?
    public init() {}
    public static let fields: [WireField<BackupListParams>] = [
        .optional("set", \.set, "Only backups of this set."),
        .optional("status", \.status, "Only backups with this status."),
        .optional(
            "limit", \.limit, in: 1...Page.size,
            "Without a query: the newest N. With one: at most N, from offset. Without it: a page of 1000 (next_offset says where the next starts)."
        ),
        .optional("filter", \.filter, "A filter over the record's fields (docs/data.md)."),
        .optional("sort_by", \.sortBy, "A record field to sort by (default: id, oldest first)."),
        .optional("sort_order", \.sortOrder, "asc or desc."),
        .optional("offset", \.offset, in: 0...Int64(Int32.max), "Skip the first N of the query's results."),
    ]

    /// Whether the params ask for a query (a filter, an order or an offset) rather than the plain list.
    public var isQuery: Bool { filter != nil || sortBy != nil || sortOrder != nil || offset != nil }
}

/// Methods that name one backup.
public struct BackupIDParams: WireParams, Equatable {
    public var id = ""
    public init() {}
    public init(id: String) { self.id = id }
    public static let fields: [WireField<BackupIDParams>] = [.name("id", \.id, "The backup id.")]
}

/// `backup.verify`.
public struct BackupVerifyParams: WireParams, Equatable {
    public var id = ""
    public var progress = false
    public var deep = false
    public init() {}
    public init(id: String, progress: Bool = false, deep: Bool = false) {
        self.id = id
        self.progress = progress
        self.deep = deep
    }
    public static let fields: [WireField<BackupVerifyParams>] = [
        .name("id", \.id, "The backup id."),
        .defaulted("progress", \.progress, default: false, "Send progress notifications before the reply."),
        .defaulted(
            "deep", \.deep, default: false,
            "Also read every file an incremental backup takes from other archives and check it against the manifest's SHA-256."),
    ]
}

/// `backup.pin`.
public struct BackupPinParams: WireParams, Equatable {
    public var id = ""
    public var pinned = true
    public init() {}
    public init(id: String, pinned: Bool) {
        self.id = id
        self.pinned = pinned
    }
    public static let fields: [WireField<BackupPinParams>] = [
        .name("id", \.id, "The backup id."),
        .defaulted("pinned", \.pinned, default: true, "false unpins."),
    ]
}

/// `backup.prune`.
public struct BackupPruneParams: WireParams, Equatable {
    public var set: String?
    public var dryRun = false
    public init() {}
    public init(set: String?, dryRun: Bool) {
        self.set = set
        self.dryRun = dryRun
    }
    public static let fields: [WireField<BackupPruneParams>] = [
        .optional("set", \.set, "Only this set."),
        .defaulted("dry_run", \.dryRun, default: false, "Report what would go; remove nothing."),
    ]
}

/// `catalog.rebuild`.
public struct CatalogRebuildParams: WireParams, Equatable {
    public var target = ""
    public var progress = false
    public init() {}
    public init(target: String, progress: Bool = false) {
        self.target = target
        self.progress = progress
    }
    public static let fields: [WireField<CatalogRebuildParams>] = [
        .name("target", \.target, "The target to read."),
        .defaulted(
            "progress", \.progress, default: false,
            "Send progress notifications (a heartbeat every 5 s) while the rebuild reads the target's manifests."),
    ]
}

/// `catalog.describe`: what a caller holding the identity read in the manifest of a sealed
/// backup that a rebuild recovered (pacactl catalog rebuild --identity).
public struct CatalogDescribeParams: WireParams, Equatable {
    public var id = ""
    public var manifestSha256 = ""
    public var files = 0
    public var bytesIn: UInt64 = 0
    public var bytesWritten: UInt64 = 0
    public var filesReferenced = 0
    public var bytesReferenced: UInt64 = 0
    public var references: [String] = []
    public var base: String?
    public init() {}
    public static let fields: [WireField<CatalogDescribeParams>] = [
        .name("id", \.id, "The sealed backup, as a rebuild cataloged it (unverified)."),
        .required("manifest_sha256", \.manifestSha256, "SHA-256 of the manifest entry read from the decrypted archive, hex."),
        .required("files", \.files, "Files of the tree, as the manifest lists them."),
        .required("bytes_in", \.bytesIn, "Their bytes."),
        .required("bytes_written", \.bytesWritten, "Bytes of the files the archive itself holds."),
        .required("files_referenced", \.filesReferenced, "Files whose bytes are in other backups' archives."),
        .required("bytes_referenced", \.bytesReferenced, "Their bytes."),
        .required("references", \.references, "The backups whose archives hold those bytes; each must be cataloged, of the same set."),
        .optional("base", \.base, "The backup this one was compared with."),
    ]
}

/// `target.init`.
public struct TargetInitParams: WireParams, Equatable {
    public var target = ""
    public init() {}
    public init(target: String) { self.target = target }
    public static let fields: [WireField<TargetInitParams>] = [
        .name("target", \.target, "The target whose folder (or bucket prefix) to adopt.")
    ]
}

/// `scrub.run`.
public struct ScrubRunParams: WireParams, Equatable {
    public var target: String?
    public var wait = false
    public var progress = false
    public init() {}
    public init(target: String?, wait: Bool, progress: Bool = false) {
        self.target = target
        self.wait = wait
        self.progress = progress
    }
    public static let fields: [WireField<ScrubRunParams>] = [
        .optional("target", \.target, "Only this target; every target when absent (one after another)."),
        .defaulted("wait", \.wait, default: false, "Answer when the pass is over, with what it found; otherwise answer at once."),
        .defaulted("progress", \.progress, default: false, "With wait: send progress notifications (a heartbeat) while the pass runs."),
    ]
}

/// `restore.run`.
public struct RestoreParams: WireParams, Equatable {
    public var id = ""
    public var to = ""
    public var include: [String] = []
    public var overwrite = false
    public var progress = false
    public init() {}
    public init(id: String, to: String, include: [String] = [], overwrite: Bool = false, progress: Bool = false) {
        self.id = id
        self.to = to
        self.include = include
        self.overwrite = overwrite
        self.progress = progress
    }
    public static let fields: [WireField<RestoreParams>] = [
        .name("id", \.id, "The backup id."),
        .name("to", \.to, "An absolute path to restore into, created when missing."),
        .defaulted("include", \.include, default: [], "Restore only entries matching one of these patterns."),
        .defaulted("overwrite", \.overwrite, default: false, "Replace files that exist."),
        .defaulted("progress", \.progress, default: false, "Send progress notifications before the reply."),
    ]
}

/// `restore.open`.
public struct RestoreOpenParams: WireParams, Equatable {
    public var id = ""
    public init() {}
    public init(id: String) { self.id = id }
    public static let fields: [WireField<RestoreOpenParams>] = [.name("id", \.id, "The backup to restore.")]
}

/// `restore.read`.
public struct RestoreReadParams: WireParams, Equatable {
    /// The most one read returns.
    public static let maximumLength: Int64 = 4 << 20

    public var session = ""
    public var backup = ""
    public var offset: UInt64 = 0
    public var length: Int64 = 0
    public var binary = false
    public init() {}
    public init(session: String, backup: String, offset: UInt64, length: Int64, binary: Bool = false) {
        self.session = session
        self.backup = backup
        self.offset = offset
        self.length = length
        self.binary = binary
    }
    public static let fields: [WireField<RestoreReadParams>] = [
        .name("session", \.session, "The session restore.open returned."),
        .name("backup", \.backup, "Which of the session's archives to read."),
        .required("offset", \.offset, "Where to start reading."),
        .required(
            "length", \.length, "How many bytes, 1 to 4194304.",
            check: { (1...maximumLength).contains($0) ? nil : .outOfRange(value: $0, range: 1...maximumLength) },
            schema: ["type": "integer", "minimum": 1, "maximum": .int(maximumLength)]),
        .defaulted(
            "binary", \.binary, default: false,
            "Send the bytes raw, in one frame right after the reply (its attached says how many), instead of base64 in data."),
    ]
}

/// `restore.close`.
public struct RestoreCloseParams: WireParams, Equatable {
    public var session = ""
    public init() {}
    public init(session: String) { self.session = session }
    public static let fields: [WireField<RestoreCloseParams>] = [.name("session", \.session, "The session to end.")]
}
