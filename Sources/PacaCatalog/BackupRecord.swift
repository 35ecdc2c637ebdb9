import PacaCore

/// One backup as the catalog keeps it: what was backed up, why, when, how it went and where the
/// archive is. Encoded with the snake_case keys of docs/protocol.md; times as RFC 3339 UTC.
public struct BackupRecord: Sendable, Equatable, Codable {
    /// Where a backup is in its life. Only ``complete`` backups can be restored.
    public enum Status: String, Sendable, Codable, CaseIterable {
        /// Being written now.
        case running
        /// Written, fsynced and renamed into place.
        case complete
        /// Written like a complete backup, but some files could not be read (``BackupRecord/unreadable``
        /// lists them): a restore point that misses what it lists.
        case partial
        /// Stopped by an error; ``BackupRecord/error`` says which.
        case failed
        /// The daemon died while writing it (found at the next start); its partial file was removed.
        case interrupted
        /// Stopped on purpose (the daemon was stopping); nothing was left behind.
        case cancelled
        /// Cataloged by a rebuild from an archive the catalog did not know (or knew only as not
        /// finished): the catalog has no digest of its own to hold it to. It can be read, but it is
        /// no restore point until `backup verify` passes, which makes it complete.
        case unverified
        /// A scrub found no good copy left on any target: ``BackupRecord/lost`` names the files
        /// that cannot be restored (empty when the whole archive is gone or unreadable). What is
        /// left can still be read; it is no restore point.
        case damaged
    }

    public var id: String
    public var set: String
    /// What the archive holds: every file's bytes (`full`), or the changed files' (`incremental`).
    public var type: BackupKind
    /// The backup this one was compared with (its base), if any.
    public var base: String?
    /// The other backups whose archives hold bytes of this backup's files: a restore needs
    /// them, so retention keeps them while this backup is kept.
    public var references: [String]
    /// Files whose bytes are in the referenced archives, and their bytes (``files`` counts them too).
    public var filesReferenced: Int
    public var bytesReferenced: UInt64
    /// No longer a restore point: retention let it go, but its archive stays while kept backups
    /// reference it (it may need archives that are gone). Removed once none does.
    public var retired: Bool
    /// What asked for the backup.
    public var trigger: BackupTrigger
    /// Free text from whoever asked ("before lr sweep").
    public var reason: String?
    public var status: Status
    /// Unix seconds.
    public var startedAt: Int64
    public var finishedAt: Int64?
    /// Files of the set this backup covers: held in its archive or referenced.
    public var files: Int
    /// Bytes of those files (what the backup protects).
    public var bytesIn: UInt64
    /// Bytes of the files this backup's archive holds (read and stored by it).
    public var bytesWritten: UInt64
    /// Size of the archive file.
    public var bytesStored: UInt64
    /// SHA-256 of the archive file, hex; also in its `.sha256` sidecar.
    public var sha256: String?
    /// SHA-256 of the archive's manifest entry, hex, recorded when the backup was written: a
    /// restore refuses an archive whose manifest differs, since the manifest holds every file's digest.
    public var manifestSha256: String?
    /// The first target that has the archive (the first the set names while none has it yet).
    public var target: String
    /// Where the archive is on ``target``: a path, or `s3://bucket/key`.
    public var path: String
    /// One delivery per target the archive goes to, each tracked on its own.
    public var deliveries: [Delivery]
    public var error: String?
    /// Files that could not be read, in whole or in part (the backup still completes).
    public var unreadable: [String]
    /// For a ``Status/damaged`` backup: the files no copy holds intact any more (at most 100).
    public var lost: [String] = []
    /// Files that changed while they were read (each stored as it was read).
    public var changed: Int
    /// Requests that were folded into this backup because one for the set was already waiting.
    public var coalesced: Int
    /// Kept whatever the retention policy says, while the policy keeps tagged backups
    /// (`keep_tagged`, default true). Set with `pacactl backup pin`.
    public var pinned: Bool
    /// When ``verified`` was last checked, Unix seconds.
    public var verifiedAt: Int64?
    public var verified: Bool?
    /// The order in which the catalog took the backup (1, 2, ...): what "newest" means, whatever
    /// the clock said. Nil for records from before 0.11, which come before every numbered one.
    public var sequence: Int64?
    /// Whether the archive is sealed with age (`<id>.zip.age`): pacad can check its stored bytes,
    /// and only a caller holding an identity can read what is inside.
    public var sealed = false
    /// For a checkpoint capture (`checkpoint.capture`): the checkpoint's path, the training step
    /// and the metrics the trainer gave, so `metrics.eval_loss < 0.4` finds it and `keep_best`
    /// ranks it. Nil for every other backup.
    public var checkpoint: String?
    public var step: Int64?
    public var metrics: [String: Double]?

    public init(id: String, set: String, trigger: BackupTrigger, reason: String?, startedAt: Int64, target: String, path: String) {
        self.id = id
        self.set = set
        self.type = .full
        self.references = []
        self.filesReferenced = 0
        self.bytesReferenced = 0
        self.retired = false
        self.trigger = trigger
        self.reason = reason
        self.status = .running
        self.startedAt = startedAt
        self.files = 0
        self.bytesIn = 0
        self.bytesWritten = 0
        self.bytesStored = 0
        self.target = target
        self.path = path
        self.deliveries = []
        self.pinned = false
        self.unreadable = []
        self.changed = 0
        self.coalesced = 0
    }

    /// Stored bytes over bytes read (0.25 means the archive is a quarter of the data); nil when nothing was read.
    public var ratio: Double? {
        guard bytesIn > 0, isRestorePoint else { return nil }
        return (Double(bytesStored) / Double(bytesIn) * 10_000).rounded() / 10_000
    }

    enum CodingKeys: String, CodingKey {
        case id, set, type, trigger, reason, status, files, sha256, target, path, deliveries, error, unreadable, changed, coalesced,
            verified, sequence, lost, sealed, checkpoint, step, metrics
        case ratio, pinned, base, references, retired
        case filesReferenced = "files_referenced"
        case bytesReferenced = "bytes_referenced"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case bytesIn = "bytes_in"
        case bytesWritten = "bytes_written"
        case bytesStored = "bytes_stored"
        case verifiedAt = "verified_at"
        case manifestSha256 = "manifest_sha256"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        set = try c.decode(String.self, forKey: .set)
        type = try c.decode(BackupKind.self, forKey: .type)
        // Catalogs from before incremental backups (0.6 and older) hold full backups only.
        base = try c.decodeIfPresent(String.self, forKey: .base)
        references = try c.decodeIfPresent([String].self, forKey: .references) ?? []
        filesReferenced = try c.decodeIfPresent(Int.self, forKey: .filesReferenced) ?? 0
        bytesReferenced = try c.decodeIfPresent(UInt64.self, forKey: .bytesReferenced) ?? 0
        retired = try c.decodeIfPresent(Bool.self, forKey: .retired) ?? false
        trigger = try c.decode(BackupTrigger.self, forKey: .trigger)
        reason = try c.decodeIfPresent(String.self, forKey: .reason)
        status = try c.decode(Status.self, forKey: .status)
        startedAt = try Self.time(c, .startedAt) ?? 0
        finishedAt = try Self.time(c, .finishedAt)
        files = try c.decode(Int.self, forKey: .files)
        bytesIn = try c.decode(UInt64.self, forKey: .bytesIn)
        bytesWritten = try c.decodeIfPresent(UInt64.self, forKey: .bytesWritten) ?? bytesIn
        bytesStored = try c.decode(UInt64.self, forKey: .bytesStored)
        sha256 = try c.decodeIfPresent(String.self, forKey: .sha256)
        manifestSha256 = try c.decodeIfPresent(String.self, forKey: .manifestSha256)
        target = try c.decode(String.self, forKey: .target)
        path = try c.decode(String.self, forKey: .path)
        // Catalogs from before several targets (0.4 and older) knew one target per backup.
        deliveries =
            try c.decodeIfPresent([Delivery].self, forKey: .deliveries)
            ?? (status == .complete ? [Delivery(target: target, status: .ok, location: path, deliveredAt: finishedAt)] : [])
        error = try c.decodeIfPresent(String.self, forKey: .error)
        unreadable = try c.decodeIfPresent([String].self, forKey: .unreadable) ?? []
        lost = try c.decodeIfPresent([String].self, forKey: .lost) ?? []
        changed = try c.decodeIfPresent(Int.self, forKey: .changed) ?? 0
        coalesced = try c.decodeIfPresent(Int.self, forKey: .coalesced) ?? 0
        pinned = try c.decodeIfPresent(Bool.self, forKey: .pinned) ?? false
        verifiedAt = try Self.time(c, .verifiedAt)
        verified = try c.decodeIfPresent(Bool.self, forKey: .verified)
        sequence = try c.decodeIfPresent(Int64.self, forKey: .sequence)
        sealed = try c.decodeIfPresent(Bool.self, forKey: .sealed) ?? false
        checkpoint = try c.decodeIfPresent(String.self, forKey: .checkpoint)
        step = try c.decodeIfPresent(Int64.self, forKey: .step)
        metrics = try c.decodeIfPresent([String: Double].self, forKey: .metrics)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(set, forKey: .set)
        try c.encode(type, forKey: .type)
        try c.encode(base, forKey: .base)
        try c.encode(references, forKey: .references)
        try c.encode(filesReferenced, forKey: .filesReferenced)
        try c.encode(bytesReferenced, forKey: .bytesReferenced)
        try c.encode(retired, forKey: .retired)
        try c.encode(trigger, forKey: .trigger)
        try c.encode(reason, forKey: .reason)
        try c.encode(status, forKey: .status)
        try c.encode(CivilTime(unixSeconds: startedAt).rfc3339, forKey: .startedAt)
        try c.encode(finishedAt.map { CivilTime(unixSeconds: $0).rfc3339 }, forKey: .finishedAt)
        try c.encode(files, forKey: .files)
        try c.encode(bytesIn, forKey: .bytesIn)
        try c.encode(bytesWritten, forKey: .bytesWritten)
        try c.encode(bytesStored, forKey: .bytesStored)
        try c.encode(ratio, forKey: .ratio)
        try c.encode(sha256, forKey: .sha256)
        try c.encode(manifestSha256, forKey: .manifestSha256)
        try c.encode(target, forKey: .target)
        try c.encode(path, forKey: .path)
        try c.encode(deliveries, forKey: .deliveries)
        try c.encode(error, forKey: .error)
        try c.encode(unreadable, forKey: .unreadable)
        if status == .damaged { try c.encode(lost, forKey: .lost) }
        try c.encode(changed, forKey: .changed)
        try c.encode(coalesced, forKey: .coalesced)
        try c.encode(pinned, forKey: .pinned)
        try c.encode(verifiedAt.map { CivilTime(unixSeconds: $0).rfc3339 }, forKey: .verifiedAt)
        try c.encode(verified, forKey: .verified)
        try c.encodeIfPresent(sequence, forKey: .sequence)
        try c.encode(sealed, forKey: .sealed)
        try c.encodeIfPresent(checkpoint, forKey: .checkpoint)
        try c.encodeIfPresent(step, forKey: .step)
        try c.encodeIfPresent(metrics, forKey: .metrics)
    }

    /// Takes what writing the backup decided from `written` (status, times, counts, checksum,
    /// deliveries, error), keeping what others may have changed meanwhile (a pin).
    public mutating func adoptOutcome(of written: BackupRecord) {
        status = written.status
        type = written.type
        base = written.base
        references = written.references
        filesReferenced = written.filesReferenced
        bytesReferenced = written.bytesReferenced
        finishedAt = written.finishedAt
        files = written.files
        bytesIn = written.bytesIn
        bytesWritten = written.bytesWritten
        bytesStored = written.bytesStored
        sha256 = written.sha256
        manifestSha256 = written.manifestSha256
        target = written.target
        path = written.path
        deliveries = written.deliveries
        error = written.error
        unreadable = written.unreadable
        changed = written.changed
    }

    /// The deliveries that hold the archive.
    public var delivered: [Delivery] { deliveries.filter { $0.status == .ok } }

    /// True for a backup that can be restored: complete, or partial (it misses what
    /// ``unreadable`` lists). Retention counts these, and later backups compare with them.
    public var isRestorePoint: Bool { status == .complete || status == .partial }

    /// True for a backup whose archive can be read: a restore point, an unverified backup from a
    /// catalog rebuild, or a damaged one (each file is still checked against its manifest digest,
    /// so what is left intact restores).
    public var isReadable: Bool { isRestorePoint || status == .unverified || status == .damaged }

    static func time<Key: CodingKey>(_ c: KeyedDecodingContainer<Key>, _ key: Key) throws -> Int64? {
        guard let text = try c.decodeIfPresent(String.self, forKey: key) else { return nil }
        guard let time = CivilTime(rfc3339: text) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "\"\(text)\" is not an RFC 3339 UTC time")
        }
        return time.unixSeconds
    }
}
