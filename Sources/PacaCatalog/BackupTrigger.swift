/// What asked for a backup. Its text form (`manual`, `job:nightly`, `training_start`, ...) is
/// what the catalog stores and the protocol shows.
public enum BackupTrigger: Sendable, Hashable, Codable, CustomStringConvertible {
    /// `pacactl backup now` / `backup.create`.
    case manual
    /// A scheduled job, by name (`job:<name>`).
    case job(String)
    /// A training program announced itself (`trigger.fire training_start`).
    case trainingStart
    /// A training program announced its end, or its failure (`trigger.fire training_end`).
    case trainingEnd
    /// Watched files changed and went quiet, or the trigger was fired by hand.
    case configChange
    /// The daemon is stopping (or the trigger was fired by hand).
    case shutdown
    /// Every set to every target, now.
    case emergency
    /// A training program handed over a checkpoint (`checkpoint.capture`).
    case checkpoint
    /// Recovered from a target by `catalog.rebuild`.
    case rebuilt

    /// The trigger its text names, or nil.
    public init?(rawValue: String) {
        switch rawValue {
        case "manual": self = .manual
        case "training_start": self = .trainingStart
        case "training_end": self = .trainingEnd
        case "config_change": self = .configChange
        case "shutdown": self = .shutdown
        case "emergency": self = .emergency
        case "checkpoint": self = .checkpoint
        case "rebuilt": self = .rebuilt
        default:
            guard rawValue.hasPrefix("job:"), rawValue.count > 4 else { return nil }
            self = .job(String(rawValue.dropFirst(4)))
        }
    }

    public var rawValue: String {
        switch self {
        case .manual: "manual"
        case .job(let name): "job:\(name)"
        case .trainingStart: "training_start"
        case .trainingEnd: "training_end"
        case .configChange: "config_change"
        case .shutdown: "shutdown"
        case .emergency: "emergency"
        case .checkpoint: "checkpoint"
        case .rebuilt: "rebuilt"
        }
    }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let trigger = BackupTrigger(rawValue: text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "\"\(text)\" is not a backup trigger"))
        }
        self = trigger
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// What an archive holds: every file of the set (`full`). Incremental backups will add a kind
/// that holds only what changed.
public enum BackupKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// The archive holds every file's bytes.
    case full
    /// The archive holds the files that changed since the set's previous backup; the others'
    /// bytes are in the archives of the backups ``BackupRecord/references`` names.
    case incremental
}
