/// What a prune decided, per backup and target (`BackupEngine.prune`), and the references that
/// keep archives of backups retention let go.
/// What a prune decided for one backup on one target.
public struct PruneItem: Sendable, Equatable {
    public var id: String
    public var set: String
    public var target: String
    /// Why it is kept (`newest`, `last`, `daily`, `pinned`, ..., `referenced`); empty for a backup that goes.
    public var reasons: [String]
    /// Why a backup that should go is still there (being read, a target that refused), if so.
    public var problem: String?
    /// For a copy kept only because kept backups need its archive: those backups.
    public var referencedBy: [String] = []
    /// The archive's size, for a copy kept only for references (what keeping it costs).
    public var bytes: UInt64?

    public init(id: String, set: String, target: String, reasons: [String], problem: String? = nil) {
        (self.id, self.set, self.target, self.reasons, self.problem) = (id, set, target, reasons, problem)
    }
}

/// The outcome of ``BackupEngine/prune(set:dryRun:)``.
public struct PruneReport: Sendable, Equatable {
    public var dryRun: Bool
    public var kept: [PruneItem] = []
    /// Removed (or, in a dry run, to be removed).
    public var removed: [PruneItem] = []
    /// Backups that should have gone and did not, with the reason.
    public var failed: [PruneItem] = []

    public init(dryRun: Bool) { self.dryRun = dryRun }
}

extension BackupRecord {
    /// The value of metric `name` on this backup (a checkpoint capture's), if it has it.
    public func metric(_ name: String?) -> Double? { name.flatMap { metrics?[$0] } }

    /// The backups whose archives the `kept` ones need, each with the kept backups that need it.
    /// Only direct references count: a backup's references list every archive its files are in,
    /// so what a kept backup needs is exactly its own list.
    public static func referencedByKept(_ kept: [String], records: [BackupRecord]) -> [String: [String]] {
        let byID = Dictionary(records.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let keptSet = Set(kept)
        var users: [String: Set<String>] = [:]
        for id in kept {
            for reference in byID[id]?.references ?? [] where !keptSet.contains(reference) { users[reference, default: []].insert(id) }
        }
        return users.mapValues { $0.sorted() }
    }
}
