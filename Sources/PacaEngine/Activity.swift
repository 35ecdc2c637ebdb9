/// What the engine is doing right now, for `daemon.status` and systemd's STATUS= line.
public struct EngineSnapshot: Sendable, Equatable {
    /// Operations in progress: backups, restores and verifications.
    public var activities: [Activity]
    /// Sets with a follow-up backup waiting behind the one running.
    public var queuedSets: [String]
    public var isStopping: Bool
}

/// One operation in progress.
public struct Activity: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        case backup, restore, verify
    }

    public var kind: Kind
    /// The backup written, restored or verified; nil for a backup that has not been given its id yet.
    public var backupID: String?
    public var set: String
    /// Unix seconds.
    public var startedAt: Int64
    public var progress: RunProgress.Snapshot
}
