/// One archive a restore session serves: the backup's own, or one it takes files from.
public struct RestoreArchive: WireObject, Equatable {
    public static let schemaName: String? = "RestoreArchive"
    public var backup = ""
    public var size: UInt64 = 0
    public init() {}
    public init(backup: String, size: UInt64) {
        self.backup = backup
        self.size = size
    }
    public static let fields: [WireField<RestoreArchive>] = [
        .required("backup", \.backup, "The backup whose archive this is; name it in restore.read."),
        .required("size", \.size, "The archive's size in bytes."),
    ]
}

/// What `restore.open` grants: a session that reads a backup's archives for the caller's own
/// `pacactl`, which writes the files with the caller's rights.
public struct RestoreSession: WireObject, Equatable {
    public var session = ""
    public var id = ""
    public var set = ""
    public var archives: [RestoreArchive] = []
    public var restricted = false
    public var uid: UInt64 = 0
    public var groups: [UInt64] = []
    public var closedRoots: [String] = []
    public var idleSeconds: Int64 = 0
    public var manifestSha256: String?
    public init() {}
    public static let fields: [WireField<RestoreSession>] = [
        .required("session", \.session, "The session to name in restore.read and restore.close; it is the caller's alone."),
        .required("id", \.id, "The backup restored."),
        .required("set", \.set, "Its set."),
        .required("archives", \.archives, "The backup's archive first, then those it takes files from."),
        .required(
            "restricted", \.restricted,
            "The caller is not root: only the entries it could have read when they were backed up are served; the others read as zeroes and are left out."
        ),
        .required("uid", \.uid, "The caller's uid, as the daemon sees it."),
        .required("groups", \.groups, "The caller's groups (primary first), as the daemon sees them."),
        .required(
            "closed_roots", \.closedRoots,
            "Top-level folders of the archive (the set's paths) inside folders the caller cannot search: nothing under them is served."),
        .required("idle_seconds", \.idleSeconds, "The session ends after this long without a read."),
        .optional(
            "manifest_sha256", \.manifestSha256,
            "The SHA-256 the catalog recorded for the backup's manifest: the caller refuses an archive whose manifest differs."),
    ]
}

/// Bytes of an archive read by `restore.read`: in `data` as base64, or, when the read asked for
/// `binary`, in the raw frame that follows the reply (``attachment``, `attached` on the wire).
public struct RestoreBytes: WireObject, WireAttaching, Equatable {
    public var data = ""
    public var length = 0
    public var attached: Int?
    /// The raw bytes sent after the reply; not a member of the JSON.
    public var attachment: [UInt8]?
    public init() {}
    public init(data: String, length: Int) {
        self.data = data
        self.length = length
    }
    /// A reply whose bytes follow it raw.
    public init(attaching bytes: [UInt8]) {
        length = bytes.count
        attached = bytes.count
        attachment = bytes
    }
    public static let fields: [WireField<RestoreBytes>] = [
        .required("data", \.data, "The bytes, base64; those of entries the caller may not read are zeroes. Empty when they are attached."),
        .required("length", \.length, "How many bytes: fewer than asked only at the end of the archive."),
        .optional(
            "attached", \.attached, "Present when the read asked for binary: the bytes follow this reply as one raw frame of this length.",
            omittedWhenNil: true),
    ]
}

/// What `target.init` did.
public struct TargetInitialized: WireObject, Equatable {
    public var target = ""
    public var message = ""
    public init() {}
    public init(target: String, message: String) {
        self.target = target
        self.message = message
    }
    public static let fields: [WireField<TargetInitialized>] = [
        .required("target", \.target, "The target."),
        .required("message", \.message, "What was done: the folder and the new marker's id."),
    ]
}

/// What `restore.close` did.
public struct RestoreClosed: WireObject, Equatable {
    public var session = ""
    public var reads = 0
    public var bytesServed: UInt64 = 0
    public init() {}
    public init(session: String, reads: Int, bytesServed: UInt64) {
        self.session = session
        self.reads = reads
        self.bytesServed = bytesServed
    }
    public static let fields: [WireField<RestoreClosed>] = [
        .required("session", \.session, "The session ended."),
        .required("reads", \.reads, "restore.read calls it answered."),
        .required("bytes_served", \.bytesServed, "Bytes those reads returned."),
    ]
}
