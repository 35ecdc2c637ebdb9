public import PacaCore

/// What retention decides for one set's copies on one target, before anything is removed: pure,
/// so the engine only checks each removal against the work running and carries it out.
///
/// Only copies that are there count: a failed delivery is no copy on that target (counting it
/// could let the policy prune the copies that are). A copy the policy lets go stays while a kept
/// backup's archive needs its files (`referenced`). Retired backups are no restore points: the
/// policy does not see them, and they stay only while a kept backup references them.
public struct PrunePlan: Sendable, Equatable {
    /// Copies kept, in the policy's order: by its rules, or only for references (those name
    /// the backups that need them in `referencedBy`).
    public var kept: [PruneItem] = []
    /// Copies neither the policy nor a reference keeps: to be removed.
    public var removals: [PruneItem] = []

    /// Backups kept here only because kept backups reference them.
    public var keptForReferences: Set<String> { Set(kept.filter { !$0.referencedBy.isEmpty }.map(\.id)) }
    /// Backups kept here as restore points.
    public var keptAsRestorePoints: Set<String> { Set(kept.filter { $0.referencedBy.isEmpty }.map(\.id)) }

    /// The plan for `target`, given every record of `set` (`records`, in any order).
    public init(set: String, target: String, records: [BackupRecord], policy: RetentionPolicy, zone: ZoneRules, now: Int64) {
        let holding = records.filter { record in
            record.isRestorePoint && record.deliveries.contains { $0.target == target && $0.status == .ok }
        }
        // The order the catalog took them in; records from before 0.11 (no number) first.
        let sequence = records.sorted { ($0.sequence ?? 0, $0.id) < ($1.sequence ?? 0, $1.id) }
        let order = Dictionary(uniqueKeysWithValues: sequence.enumerated().map { ($1.id, Int64($0)) })
        var decisions = policy.apply(
            to: holding.filter { !$0.retired }.map {
                RetentionPolicy.Item(
                    id: $0.id, time: $0.startedAt, isComplete: true, isPinned: $0.pinned, order: order[$0.id] ?? 0,
                    metric: $0.metric(policy.keepBest?.metric), isVerified: $0.isVerified(on: target))
            },
            zone: zone, now: now)
        decisions += holding.filter(\.retired).map { RetentionPolicy.Decision(id: $0.id, reasons: []) }
        let neededBy = BackupRecord.referencedByKept(decisions.filter(\.keep).map(\.id), records: records)
        let sizes = Dictionary(records.map { ($0.id, $0.bytesStored) }, uniquingKeysWith: { first, _ in first })
        for decision in decisions {
            var item = PruneItem(id: decision.id, set: set, target: target, reasons: decision.reasons.map(\.rawValue))
            if decision.keep {
                kept.append(item)
            } else if let users = neededBy[decision.id] {
                item.reasons = ["referenced"]
                item.referencedBy = users
                item.bytes = sizes[decision.id]
                kept.append(item)
            } else {
                removals.append(item)
            }
        }
    }
}
