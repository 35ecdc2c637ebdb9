public import PacaCore

/// Every method of protocol version 1, declared once (docs/protocol.md; `docs/protocol.openrpc.json`
/// is generated from these). Roles: `read` looks, `operate` backs up, verifies and restores,
/// `admin` may do everything.
public enum Methods {
    public static let daemonStatus = RPCMethod<NoParams, DaemonStatus>(
        "daemon.status", role: .read, summary: "What the daemon is doing, each set's last backup, the targets' health.",
        result: "status")

    public static let daemonReload = RPCMethod<NoParams, ReloadResult>(
        "daemon.reload", role: .admin, summary: "Read the configuration file again; a bad file changes nothing.", result: "reload",
        errors: [MethodError(.validationError, "the file is unusable (data.problems lists why), or pacad runs on the embedded default")])

    public static let backupCreate = RPCMethod<BackupCreateParams, BackupCreateResult>(
        "backup.create", role: .operate, summary: "Back a set up now.", result: "backup",
        errors: [
            MethodError(.notFound, "no such set"),
            MethodError(.validationError, "no set named while several exist"),
            MethodError(.storageError, "the backup failed (data.backup is its record)"),
            MethodError(.busy, "the backup was cancelled, or the daemon is stopping"),
        ], reportsProgress: true)

    public static let backupList = RPCMethod<BackupListParams, BackupList>(
        "backup.list", role: .read, summary: "The backups in the catalog, or a query over them.", result: "backups",
        errors: [MethodError(.invalidParams, "an unknown status, or a bad filter (the message names where)")])

    public static let backupShow = RPCMethod<BackupIDParams, Backup>(
        "backup.show", role: .read, summary: "One backup's record.", result: "backup", errors: [MethodError(.notFound, "no such backup")])

    public static let backupVerify = RPCMethod<BackupVerifyParams, VerifyResult>(
        "backup.verify", role: .operate, summary: "Check a backup's archive end to end: CRC-32, the manifest's SHA-256, the sidecar.",
        result: "verification",
        errors: [
            MethodError(.notFound, "no such backup"), MethodError(.validationError, "the backup is not complete"),
            MethodError(.storageError, "the archive is missing or cannot be read"),
            MethodError(.busy, "the backup is being deleted"),
        ], reportsProgress: true)

    public static let backupDelete = RPCMethod<BackupIDParams, DeletedBackup>(
        "backup.delete", role: .admin, summary: "Delete a backup: its archive and sidecar on every target, then its record.",
        result: "deleted",
        errors: [
            MethodError(.notFound, "no such backup"), MethodError(.busy, "it is being written, read, copied or removed"),
            MethodError(.storageError, "a target could not delete its copy (the record stays with those deliveries)"),
        ])

    public static let backupPin = RPCMethod<BackupPinParams, Backup>(
        "backup.pin", role: .admin, summary: "Keep a backup whatever retention says, or unpin it.", result: "backup",
        errors: [MethodError(.notFound, "no such backup")])

    public static let backupPrune = RPCMethod<BackupPruneParams, PruneReport>(
        "backup.prune", role: .admin, summary: "Apply the retention policies now.", result: "report",
        errors: [MethodError(.notFound, "no such set")])

    public static let catalogRebuild = RPCMethod<CatalogRebuildParams, RebuildReport>(
        "catalog.rebuild", role: .admin, summary: "Catalog every archive on a target that the catalog does not know.", result: "report",
        errors: [MethodError(.notFound, "no such target"), MethodError(.storageError, "the target cannot be listed")])

    public static let catalogDescribe = RPCMethod<CatalogDescribeParams, Backup>(
        "catalog.describe", role: .admin,
        summary:
            "Record what a caller holding the identity read in a sealed backup a rebuild recovered: its files, bytes and references. It stays unverified.",
        result: "backup",
        errors: [
            MethodError(.notFound, "no such backup"),
            MethodError(
                .validationError, "the backup is not a sealed, unverified one, or a reference is not a cataloged backup of its set"),
        ])

    public static let targetInit = RPCMethod<TargetInitParams, TargetInitialized>(
        "target.init", role: .admin,
        summary: "Adopt a target's folder or bucket prefix on purpose: write a new .paca-target there, so deliveries go there again.",
        result: "initialized",
        errors: [
            MethodError(.notFound, "no such target"), MethodError(.validationError, "a directory target's folder does not exist"),
            MethodError(.storageError, "the marker cannot be written"),
        ])

    public static let scrubRun = RPCMethod<ScrubRunParams, ScrubRun>(
        "scrub.run", role: .admin,
        summary:
            "Read back every copy on a target (or on every target) now and check it against the catalog; repair damaged copies from good ones.",
        result: "run",
        errors: [MethodError(.notFound, "no such target"), MethodError(.busy, "the daemon is stopping")])

    public static let restoreOpen = RPCMethod<RestoreOpenParams, RestoreSession>(
        "restore.open", role: .operate,
        summary: "Open a backup's archives for the caller's own restore: pacactl reads them and writes the files with the caller's rights.",
        result: "session",
        errors: [
            MethodError(.notFound, "no such backup"), MethodError(.validationError, "the backup is not complete, or is retired"),
            MethodError(.storageError, "an archive the restore needs cannot be read"),
            MethodError(.busy, "the caller has 8 sessions open already, or the backup is being deleted"),
        ])

    public static let restoreRead = RPCMethod<RestoreReadParams, RestoreBytes>(
        "restore.read", role: .operate, summary: "Read bytes of an archive of a restore session.", result: "bytes",
        errors: [
            MethodError(.notFound, "no such session (it ended, was never opened, or is another caller's), or no such archive in it"),
            MethodError(.storageError, "the target cannot be read"),
        ])

    public static let restoreClose = RPCMethod<RestoreCloseParams, RestoreClosed>(
        "restore.close", role: .operate, summary: "End a restore session.", result: "closed",
        errors: [MethodError(.notFound, "no such session")])

    public static let restoreRun = RPCMethod<RestoreParams, RestoreResult>(
        "restore.run", role: .admin,
        summary:
            "Restore a backup, whole or the entries matching include patterns, into a folder, written by the daemon with its own rights.",
        result: "restore",
        errors: [
            MethodError(.notFound, "no such backup"),
            MethodError(.validationError, "a relative destination, a bad pattern, a backup that is not complete, an unsafe entry"),
            MethodError(.storageError, "some entries could not be restored (data is the result, problems says which)"),
            MethodError(.busy, "the backup is being deleted"),
        ], reportsProgress: true)

    public static let jobList = RPCMethod<NoParams, JobList>("job.list", role: .read, summary: "Every job.", result: "jobs")

    public static let jobAdd = RPCMethod<JobAddParams, Job>(
        "job.add", role: .admin, summary: "Add a job that persists until removed.", result: "job",
        errors: [
            MethodError(.validationError, "a bad expression, an unknown zone, an expression that never fires, a duplicate name"),
            MethodError(.notFound, "no such set"), MethodError(.invalidParams, "both cron and every, or neither"),
        ])

    public static let jobRemove = RPCMethod<JobNameParams, Job>(
        "job.remove", role: .admin, summary: "Remove a job added at run time.", result: "job",
        errors: [MethodError(.notFound, "no such job"), MethodError(.validationError, "the job comes from the config file")])

    public static let jobPause = RPCMethod<JobNameParams, Job>(
        "job.pause", role: .admin, summary: "Stop a job from running until resumed.", result: "job",
        errors: [MethodError(.notFound, "no such job")])

    public static let jobResume = RPCMethod<JobNameParams, Job>(
        "job.resume", role: .admin, summary: "Let a paused job run again from its next slot.", result: "job",
        errors: [MethodError(.notFound, "no such job")])

    public static let jobRun = RPCMethod<JobRunParams, JobRunResult>(
        "job.run", role: .operate, summary: "Run a job's backup now.", result: "backup",
        errors: [MethodError(.notFound, "no such job"), MethodError(.busy, "the job's previous run is going")], reportsProgress: true)

    public static let eventsList = RPCMethod<EventsListParams, EventList>(
        "events.list", role: .read, summary: "What the scheduler did, oldest first.", result: "events")

    public static let triggerFire = RPCMethod<TriggerFireParams, TriggerResult>(
        "trigger.fire", role: .operate,
        summary: "Back up because something happened: a training run starts, files changed, a stop, an emergency.",
        result: "trigger",
        errors: [
            MethodError(.notFound, "no such set"),
            MethodError(.validationError, "the named set does not take the trigger, or no set does"),
            MethodError(.invalidParams, "a set named for an emergency"),
            MethodError(.storageError, "a backup failed (data is the result)"),
        ], reportsProgress: true)

    public static let checkpointCapture = RPCMethod<CheckpointCaptureParams, CheckpointCaptureResult>(
        "checkpoint.capture", role: .operate,
        summary: "Take a stable copy of a checkpoint the trainer has finished (reflinks, hard links or a copy), then back it up.",
        result: "capture",
        errors: [
            MethodError(.notFound, "no such set, or the checkpoint does not exist"),
            MethodError(
                .validationError,
                "the path is not a finished checkpoint inside the set's paths (a tmp-checkpoint-* folder, a symbolic link, a special file)"),
            MethodError(.busy, "too many captures of the set wait for their backup, or the daemon is stopping"),
            MethodError(.storageError, "the capture could not be written, or the backup failed (data.backup is its record)"),
        ], reportsProgress: true)

    public static let dataPut = RPCMethod<DataPutParams, DataRecord>(
        "data.put", role: .admin, summary: "Store a new record; its id is generated.", result: "record",
        errors: [MethodError(.notFound, "no such store"), MethodError(.validationError, "data not of the type, or a read-only store")])

    public static let dataGet = RPCMethod<DataGetParams, DataRecord>(
        "data.get", role: .read, summary: "One record.", result: "record", errors: [MethodError(.notFound, "no such store or record")])

    public static let dataUpdate = RPCMethod<DataUpdateParams, DataRecord>(
        "data.update", role: .admin, summary: "Replace a record's data, optionally only if it is still at a version.", result: "record",
        errors: [
            MethodError(.notFound, "no such store or record"), MethodError(.conflict, "if_version is not the record's version"),
            MethodError(.validationError, "data not of the type, or a read-only store"),
        ])

    public static let dataDelete = RPCMethod<DataDeleteParams, DataRecord>(
        "data.delete", role: .admin, summary: "Delete a record; returns it as it was.", result: "record",
        errors: [MethodError(.notFound, "no such store or record"), MethodError(.conflict, "if_version is not the record's version")])

    public static let dataQuery = RPCMethod<DataQueryParams, RecordList>(
        "data.query", role: .read, summary: "Find records with a filter, sorted and paged.", result: "records",
        errors: [MethodError(.notFound, "no such store"), MethodError(.invalidParams, "a bad filter (the message names where)")])

    public static let auditList = RPCMethod<AuditListParams, AuditList>(
        "audit.list", role: .admin, summary: "Lines of the audit log: who called what, and how it went, newest last.", result: "audit",
        errors: [MethodError(.invalidParams, "a bad filter (the message names where)")])

    public static let auditVerify = RPCMethod<NoParams, AuditVerification>(
        "audit.verify", role: .admin, summary: "Walk the audit log's hash chain through every file; name the first line that breaks it.",
        result: "verification")

    public static let webLogin = RPCMethod<NoParams, WebLogin>(
        "web.login", role: .read, summary: "A one-time address that signs the caller in to the dashboard, with the caller's role.",
        result: "login",
        errors: [MethodError(.validationError, "pacad serves no HTTP (no http: in its configuration)")])

    public static let discover = RPCMethod<NoParams, JSONValue>(
        "rpc.discover", role: .read, summary: "This protocol's OpenRPC document.", result: "OpenRPC Schema")

    /// Every method, in the order docs/protocol.md lists them.
    public static let all: [MethodDescriptor] = [
        daemonStatus.descriptor, daemonReload.descriptor, backupCreate.descriptor, backupList.descriptor, backupShow.descriptor,
        backupVerify.descriptor, backupDelete.descriptor, backupPin.descriptor, backupPrune.descriptor, catalogRebuild.descriptor,
        catalogDescribe.descriptor,
        targetInit.descriptor, scrubRun.descriptor, restoreOpen.descriptor, restoreRead.descriptor, restoreClose.descriptor,
        restoreRun.descriptor,
        jobList.descriptor,
        jobAdd.descriptor, jobRemove.descriptor, jobPause.descriptor, jobResume.descriptor,
        jobRun.descriptor, eventsList.descriptor, triggerFire.descriptor, checkpointCapture.descriptor, dataPut.descriptor,
        dataGet.descriptor, dataUpdate.descriptor,
        dataDelete.descriptor, dataQuery.descriptor, auditList.descriptor, auditVerify.descriptor, webLogin.descriptor, discover.descriptor,
    ]

    /// The method named `name`, if there is one.
    public static func named(_ name: String) -> MethodDescriptor? { all.first { $0.name == name } }
}
