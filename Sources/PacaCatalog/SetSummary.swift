/// What the catalog says about one set, for `daemon.status`, `/metrics` and the dashboard: its
/// newest backups by outcome and how many it has in each status. Pure: built from records.
///
/// "Success" and "attempt" count only backups of the whole set: a checkpoint capture backs up
/// one folder of it, so it is no recovery point for the rest.
public struct SetSummary: Sendable, Equatable {
    /// The newest whole-set backup that ended `complete`.
    public var lastSuccess: BackupRecord?
    /// The newest whole-set backup that has ended, however it went.
    public var lastAttempt: BackupRecord?
    /// Backups (checkpoint captures included) by status.
    public var counts: [BackupRecord.Status: Int] = [:]

    public init() {}

    /// One summary per set that has backups in `records`.
    public static func of<Records: Sequence>(_ records: Records) -> [String: SetSummary] where Records.Element == BackupRecord {
        var summaries: [String: SetSummary] = [:]
        for record in records {
            var summary = summaries[record.set] ?? SetSummary()
            summary.counts[record.status, default: 0] += 1
            if record.checkpoint == nil && record.status != .running {
                if summary.lastAttempt.map({ $0.id < record.id }) ?? true { summary.lastAttempt = record }
                if record.status == .complete, summary.lastSuccess.map({ $0.id < record.id }) ?? true { summary.lastSuccess = record }
            }
            summaries[record.set] = summary
        }
        return summaries
    }

    /// How old the set's recovery point is at `now` (Unix seconds): since its newest complete
    /// backup started reading files, or nil when it has none.
    public func recoveryPointAge(now: Double) -> Double? {
        lastSuccess.map { max(0, now - Double($0.startedAt)) }
    }

    /// Whether the set is past its recovery point objective `rpo` (seconds) at `now`: its newest
    /// complete backup is older than that, or it has none. False when no objective is set.
    public func isPastObjective(_ rpo: Int64?, now: Double) -> Bool {
        guard let rpo else { return false }
        guard let age = recoveryPointAge(now: now) else { return true }
        return age > Double(rpo)
    }
}

extension Catalog {
    /// ``SetSummary`` of every set with backups: one pass over the catalog in memory.
    public func setSummaries() -> [String: SetSummary] { SetSummary.of(records.values) }
}
