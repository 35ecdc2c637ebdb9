public import PacaCatalog

/// What `/metrics` reports, gathered from the catalog and the daemon's own state (never by
/// reading a target), and written as Prometheus text by ``exposition``. Labels are set, target
/// and job names: never a backup id, a file name or anything secret.
public struct DaemonMetrics: Sendable {
    public struct SetState: Sendable {
        public var name: String
        public var summary: SetSummary
        /// The set's recovery point objective, seconds.
        public var rpo: Int64?
        public var isRunning: Bool

        public init(name: String, summary: SetSummary, rpo: Int64?, isRunning: Bool) {
            self.name = name
            self.summary = summary
            self.rpo = rpo
            self.isRunning = isRunning
        }
    }

    public struct TargetState: Sendable {
        public var name: String
        /// Whether the last check passed; nil before the first.
        public var isUp: Bool?
        public var failedDeliveries: Int
        public var freeBytes: UInt64?
        public var lastDeliveryAt: Int64?
        public var oldestUnverifiedSeconds: Int64?
        /// How often every copy should be read back (`scrub.every`); nil when scrubbing is off.
        public var scrubEvery: Int64?

        public init(
            name: String, isUp: Bool?, failedDeliveries: Int, freeBytes: UInt64?, lastDeliveryAt: Int64?, oldestUnverifiedSeconds: Int64?,
            scrubEvery: Int64? = nil
        ) {
            self.scrubEvery = scrubEvery
            self.name = name
            self.isUp = isUp
            self.failedDeliveries = failedDeliveries
            self.freeBytes = freeBytes
            self.lastDeliveryAt = lastDeliveryAt
            self.oldestUnverifiedSeconds = oldestUnverifiedSeconds
        }
    }

    public var version: String
    /// Unix seconds.
    public var now: Double
    public var startedAt: Double
    public var catalogBackups: Int
    /// Configured sets, in file order.
    public var sets: [SetState]
    public var targets: [TargetState]
    /// Configured jobs and when each runs next (nil: paused).
    public var jobs: [(name: String, next: Double?)]

    public init(
        version: String, now: Double, startedAt: Double, catalogBackups: Int, sets: [SetState], targets: [TargetState],
        jobs: [(name: String, next: Double?)]
    ) {
        self.version = version
        self.now = now
        self.startedAt = startedAt
        self.catalogBackups = catalogBackups
        self.sets = sets
        self.targets = targets
        self.jobs = jobs
    }

    public var exposition: Exposition {
        var out = Exposition()
        out.add("paca_build_info", .gauge, help: "pacad's version, as a label; always 1.", [.init([("version", version)], 1)])
        out.add("paca_daemon_start_time_seconds", .gauge, help: "When pacad started, Unix seconds.", [.init(startedAt)])
        out.add("paca_catalog_backups", .gauge, help: "Backups in the catalog, of every set and status.", [.init(Double(catalogBackups))])
        addSets(to: &out)
        addTargets(to: &out)
        out.add(
            "paca_jobs_next_run_timestamp_seconds", .gauge, help: "When each scheduled job runs next, Unix seconds; absent while paused.",
            jobs.compactMap { job in job.next.map { .init([("job", job.name)], $0) } })
        return out
    }

    private func addSets(to out: inout Exposition) {
        func perSet(_ value: (SetState) -> Double?) -> [Exposition.Sample] {
            sets.compactMap { set in value(set).map { .init([("set", set.name)], $0) } }
        }
        out.add(
            "paca_backup_last_success_timestamp_seconds", .gauge,
            help: "When the set's newest complete backup of the whole set ended, Unix seconds; 0 when it has none.",
            perSet { $0.summary.lastSuccess.map { Double($0.finishedAt ?? $0.startedAt) } ?? 0 })
        out.add(
            "paca_backup_last_attempt_timestamp_seconds", .gauge,
            help: "When the set's newest backup of the whole set ended, however it went, Unix seconds; 0 when it has none.",
            perSet { $0.summary.lastAttempt.map { Double($0.finishedAt ?? $0.startedAt) } ?? 0 })
        out.add(
            "paca_backup_last_duration_seconds", .gauge, help: "How long the set's newest backup of the whole set took, seconds.",
            perSet { set in set.summary.lastAttempt.flatMap { record in record.finishedAt.map { Double($0 - record.startedAt) } } })
        out.add(
            "paca_backup_last_bytes", .gauge,
            help: "Size of the archive of the set's newest complete backup: the bytes it sent to each target.",
            perSet { $0.summary.lastSuccess.map { Double($0.bytesStored) } })
        out.add(
            "paca_backup_last_source_bytes", .gauge,
            help: "Bytes of the files the set's newest complete backup protects (stored or referenced).",
            perSet { $0.summary.lastSuccess.map { Double($0.bytesIn) } })
        out.add(
            "paca_backup_last_files", .gauge, help: "Files in the set's newest complete backup.",
            perSet { $0.summary.lastSuccess.map { Double($0.files) } })
        out.add(
            "paca_backup_running", .gauge, help: "1 while a backup of the set runs.", perSet { $0.isRunning ? 1 : 0 })
        out.add(
            "paca_backups", .gauge, help: "Backups of the set in the catalog, by status (checkpoint captures included).",
            sets.flatMap { set in
                BackupRecord.Status.allCases.map { status in
                    Exposition.Sample([("set", set.name), ("status", status.rawValue)], Double(set.summary.counts[status] ?? 0))
                }
            })
        out.add(
            "paca_rpo_seconds", .gauge,
            help:
                "Age of the set's recovery point: seconds since its newest complete backup started; +Inf when it has none. Only for sets with rpo.",
            perSet { set in set.rpo.map { _ in set.summary.recoveryPointAge(now: now) ?? .infinity } })
        out.add(
            "paca_rpo_target_seconds", .gauge, help: "The set's recovery point objective (rpo), seconds.",
            perSet { $0.rpo.map { Double($0) } })
    }

    private func addTargets(to out: inout Exposition) {
        func perTarget(_ value: (TargetState) -> Double?) -> [Exposition.Sample] {
            targets.compactMap { target in value(target).map { .init([("target", target.name)], $0) } }
        }
        out.add(
            "paca_target_up", .gauge, help: "1 when the target's last check passed, 0 when it failed; absent before the first check.",
            perTarget { $0.isUp.map { $0 ? 1 : 0 } })
        out.add(
            "paca_target_failed_deliveries", .gauge, help: "Backups whose copy to the target failed and waits for a retry.",
            perTarget { Double($0.failedDeliveries) })
        out.add(
            "paca_target_free_bytes", .gauge, help: "Free space on the target, where it can tell.",
            perTarget { $0.freeBytes.map { Double($0) } })
        out.add(
            "paca_target_last_delivery_timestamp_seconds", .gauge, help: "When a backup was last delivered to the target, Unix seconds.",
            perTarget { $0.lastDeliveryAt.map { Double($0) } })
        out.add(
            "paca_scrub_oldest_unverified_seconds", .gauge,
            help: "Seconds since the least recently verified copy on the target was last read back (or written).",
            perTarget { $0.oldestUnverifiedSeconds.map { Double($0) } })
        out.add(
            "paca_scrub_interval_seconds", .gauge,
            help: "How often every copy on the target should be read back (scrub.every); absent when off.",
            perTarget { $0.scrubEvery.map { Double($0) } })
    }
}
