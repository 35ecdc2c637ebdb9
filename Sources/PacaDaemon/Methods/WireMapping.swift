import PacaArchive
import PacaCatalog
import PacaClient
import PacaCore
import PacaEngine
import PacaProtocol
import PacaScheduler

// How the engine's values appear on the wire: the one place engine types become protocol types.

extension PacaProtocol.Backup {
    init(_ record: BackupRecord) {
        self.init()
        id = record.id
        set = record.set
        type = BackupType(rawValue: record.type.rawValue) ?? .full
        base = record.base
        references = record.references
        filesReferenced = record.filesReferenced
        bytesReferenced = record.bytesReferenced
        retired = record.retired
        trigger = record.trigger.rawValue
        reason = record.reason
        status = BackupStatus(rawValue: record.status.rawValue) ?? .failed
        startedAt = Timestamp(unixSeconds: record.startedAt)
        finishedAt = record.finishedAt.map(Timestamp.init)
        files = record.files
        bytesIn = record.bytesIn
        bytesWritten = record.bytesWritten
        bytesStored = record.bytesStored
        ratio = record.ratio
        sha256 = record.sha256
        manifestSha256 = record.manifestSha256
        target = record.target
        path = record.path
        deliveries = record.deliveries.map(PacaProtocol.Delivery.init)
        error = record.error
        unreadable = record.unreadable
        lost = record.status == .damaged ? record.lost : nil
        changed = record.changed
        coalesced = record.coalesced
        pinned = record.pinned
        verified = record.verified
        verifiedAt = record.verifiedAt.map(Timestamp.init)
        sealed = record.sealed
        checkpoint = record.checkpoint
        step = record.step
        metrics = record.metrics.map(Metrics.init)
    }
}

extension PacaProtocol.Delivery {
    init(_ delivery: PacaCatalog.Delivery) {
        self.init()
        target = delivery.target
        status = DeliveryStatus(rawValue: delivery.status.rawValue) ?? .failed
        location = delivery.location
        error = delivery.error
        attempts = delivery.attempts
        deliveredAt = delivery.deliveredAt.map(Timestamp.init)
        nextAttemptAt = delivery.nextAttemptAt.map(Timestamp.init)
        verifiedAt = delivery.verifiedAt.map(Timestamp.init)
    }
}

extension VerifyResult {
    init(id: String, _ verified: VerificationResult) {
        self.init()
        self.id = id
        ok = verified.isValid
        entries = verified.entries
        bytes = verified.bytes
        sidecar = verified.sidecar
        hasManifest = verified.hasManifest
        catalog = verified.catalog ?? "unknown"
        problems = verified.problems.map(ArchiveIssue.init)
        archive = verified.archive
        seconds = verified.seconds
        sealed = verified.isSealed
        contentsChecked = verified.contentsChecked
    }
}

extension PacaProtocol.PruneItem {
    init(_ item: PacaCatalog.PruneItem) {
        self.init(id: item.id, set: item.set, target: item.target, reasons: item.reasons, problem: item.problem)
        referencedBy = item.referencedBy
        bytes = item.bytes
    }
}

extension PacaProtocol.Job {
    init(_ view: Scheduler.JobView) {
        self.init()
        name = view.name
        set = view.set
        schedule = view.schedule
        jitter = view.jitter
        catchUp = view.catchUp
        paused = view.paused
        running = view.running
        nextDue = view.nextDue.map(Timestamp.init)
        lastRun = view.lastRun.map(Timestamp.init)
        lastBackup = view.lastBackup
        origin = view.origin == .runtime ? .runtime : .config
    }
}

extension JobEvent {
    init(_ event: ScheduleEvent) {
        self.init()
        time = Timestamp(unixSeconds: event.time)
        job = event.job
        kind = JobEventKind(rawValue: event.kind.rawValue) ?? .failed
        backup = event.backup
        detail = event.detail
    }
}

extension PacaProtocol.Progress {
    init(_ snapshot: RunProgress.Snapshot, backup: String?, phase: ProgressPhase) {
        self.init()
        self.phase = phase
        files = snapshot.files
        bytes = snapshot.bytes
        totalBytes = snapshot.totalBytes
        totalFiles = snapshot.totalFiles
        percent = snapshot.percent
        self.backup = backup
    }
}

extension ScrubTargetReport {
    init(_ report: ScrubReport) {
        self.init()
        target = report.target
        verified = report.verified
        damaged = report.damaged.sorted { $0.key < $1.key }.map { ScrubFinding(id: $0.key, problem: $0.value) }
        repaired = report.repaired
        lost = report.lost
        skipped = report.skipped.sorted { $0.key < $1.key }.map { ScrubFinding(id: $0.key, problem: $0.value) }
        bytes = report.bytes
        seconds = (report.seconds * 1000).rounded() / 1000
    }
}
