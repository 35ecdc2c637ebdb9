/// What the engine is doing right now, for `daemon.status` and systemd's STATUS= line.
public struct EngineSnapshot: Sendable, Equatable {
    /// Operations in progress: backups, restores, verifications and scrubs.
    public var activities: [Activity]
    /// Sets with a follow-up backup waiting behind the one running.
    public var queuedSets: [String]
    public var isStopping: Bool

    public init(activities: [Activity], queuedSets: [String], isStopping: Bool) {
        self.activities = activities
        self.queuedSets = queuedSets
        self.isStopping = isStopping
    }
}

/// One operation in progress.
public struct Activity: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        case backup, restore, verify, scrub
    }

    public var kind: Kind
    /// The backup written, restored, verified or scrubbed; nil for a backup that has not been given its id yet.
    public var backupID: String?
    public var set: String
    /// Unix seconds.
    public var startedAt: Int64
    public var progress: RunProgress.Snapshot

    public init(kind: Kind, backupID: String?, set: String, startedAt: Int64, progress: RunProgress.Snapshot) {
        self.kind = kind
        self.backupID = backupID
        self.set = set
        self.startedAt = startedAt
        self.progress = progress
    }
}
