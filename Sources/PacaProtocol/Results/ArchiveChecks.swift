/// One thing wrong with an archive or one of its entries (verify, restore).
public struct ArchiveIssue: WireObject, Equatable {
    public static let schemaName: String? = "ArchiveIssue"
    /// A stable code: not_a_zip, truncated, corrupt, checksum_mismatch, unsafe_path, already_exists, not_found, io, ...
    public var code = ""
    public var entry: String?
    public var offset: Int64?
    public var message = ""
    public init() {}
    public init(code: String, entry: String?, offset: Int64?, message: String) {
        self.code = code
        self.entry = entry
        self.offset = offset
        self.message = message
    }
    public static let fields: [WireField<ArchiveIssue>] = [
        .required("code", \.code, "A stable code: checksum_mismatch, corrupt, already_exists, unsafe_path, io, ..."),
        .optional("entry", \.entry, "The archive entry it concerns; absent for the archive as a whole.", omittedWhenNil: true),
        .optional("offset", \.offset, "The byte offset in the archive, when known.", omittedWhenNil: true),
        .required("message", \.message, "What is wrong, for people."),
    ]
}

/// What `backup.verify` found.
public struct VerifyResult: WireObject, Equatable {
    public var id = ""
    public var ok = false
    public var entries = 0
    public var bytes: UInt64 = 0
    public var sidecar = ""
    public var hasManifest = false
    public var catalog = "unknown"
    public var problems: [ArchiveIssue] = []
    public var archive = ""
    public var seconds = 0.0
    public var sealed = false
    public var contentsChecked = true
    public init() {}
    public static let fields: [WireField<VerifyResult>] = [
        .required("id", \.id, "The backup."),
        .required("ok", \.ok, "Every entry and checksum matches, the sidecar is there and matches, and so do the catalog's digests."),
        .required("entries", \.entries, "Entries checked."),
        .required("bytes", \.bytes, "Bytes of entry contents decompressed and checked."),
        .required("sidecar", \.sidecar, "ok, mismatch or missing, for the sha256sum sidecar."),
        .required("has_manifest", \.hasManifest, "The manifest was found and every file's SHA-256 compared with it."),
        .defaulted(
            "catalog", \.catalog, default: "unknown",
            "ok when the archive and its manifest have the SHA-256s the catalog recorded when the backup was written, mismatch when not, unknown when the catalog has none (a rebuilt backup)."
        ),
        .required("problems", \.problems, "Every bad entry, when ok is false."),
        .required("archive", \.archive, "The archive file checked."),
        .required("seconds", \.seconds, "How long it took."),
        .defaulted("sealed", \.sealed, default: false, "The archive is sealed with age."),
        .defaulted(
            "contents_checked", \.contentsChecked, default: true,
            "The entries were decrypted and checked; false for a sealed archive checked by pacad, which holds no identity: only the encrypted bytes were compared with the catalog and the sidecar."
        ),
    ]
}

/// What a restore did (`restore.run`, and `pacactl restore --json`).
public struct RestoreResult: WireObject, Equatable {
    public var id = ""
    public var destination = ""
    public var files = 0
    public var directories = 0
    public var symlinks = 0
    public var bytes: UInt64 = 0
    public var problems: [ArchiveIssue] = []
    public var archive = ""
    public var seconds = 0.0
    public var leftOut: [String] = []
    public init() {}
    public static let fields: [WireField<RestoreResult>] = [
        .required("id", \.id, "The backup."),
        .required("destination", \.destination, "The folder restored into (symbolic links resolved)."),
        .required("files", \.files, "Files written."),
        .required("directories", \.directories, "Folders made or set."),
        .required("symlinks", \.symlinks, "Symbolic links made."),
        .required("bytes", \.bytes, "Bytes written."),
        .required("problems", \.problems, "Entries that could not be restored, and why."),
        .required("archive", \.archive, "The archive read."),
        .required("seconds", \.seconds, "How long it took."),
        .defaulted(
            "left_out", \.leftOut, default: [],
            "Entries a caller who is not root could not have read when they were backed up, not restored (a folder stands for what is in it)."
        ),
    ]
}
