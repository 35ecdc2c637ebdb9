/// What a prune decided for one backup on one target.
public struct PruneItem: WireObject, Equatable {
    public static let schemaName: String? = "PruneItem"
    public var id = ""
    public var set = ""
    public var target = ""
    public var reasons: [String] = []
    public var problem: String?
    public var referencedBy: [String] = []
    public var bytes: UInt64?
    public init() {}
    public init(id: String, set: String, target: String, reasons: [String], problem: String?) {
        self.id = id
        self.set = set
        self.target = target
        self.reasons = reasons
        self.problem = problem
    }
    public static let fields: [WireField<PruneItem>] = [
        .required("id", \.id, "The backup."),
        .required("set", \.set, "Its set."),
        .required("target", \.target, "The target its copy is on."),
        .required(
            "reasons", \.reasons,
            "Why the copy is kept: newest, last, hourly, daily, weekly, monthly, yearly, within, pinned, or referenced (kept backups need its archive)."
        ),
        .optional("problem", \.problem, "Why a copy that should go is still there."),
        .defaulted("referenced_by", \.referencedBy, default: [], "For a copy kept only for references: the kept backups that need it."),
        .optional("bytes", \.bytes, "For a copy kept only for references: the size of its archive."),
    ]
}

/// `backup.prune`'s report.
public struct PruneReport: WireObject, Equatable {
    public var dryRun = false
    public var kept: [PruneItem] = []
    public var removed: [PruneItem] = []
    public var failed: [PruneItem] = []
    public init() {}
    public static let fields: [WireField<PruneReport>] = [
        .required("dry_run", \.dryRun, "Nothing was removed; removed lists what would be."),
        .required("kept", \.kept, "Copies the policies keep, with why."),
        .required("removed", \.removed, "Copies removed (or to be removed, in a dry run)."),
        .required("failed", \.failed, "Copies that should have gone and could not, with the problem."),
    ]
}

/// An archive `catalog.rebuild` could not read.
public struct RebuildProblem: WireObject, Equatable {
    public var key = ""
    public var error = ""
    public init() {}
    public init(key: String, error: String) {
        self.key = key
        self.error = error
    }
    public static let fields: [WireField<RebuildProblem>] = [
        .required("key", \.key, "The archive's key on the target: <set>/<backup-id>.zip."),
        .required("error", \.error, "Why it could not be cataloged."),
    ]
}

/// `catalog.rebuild`'s report.
public struct RebuildReport: WireObject, Equatable {
    public var target = ""
    public var added: [String] = []
    public var updated: [String] = []
    public var known = 0
    public var problems: [RebuildProblem] = []
    public init() {}
    public static let fields: [WireField<RebuildReport>] = [
        .required("target", \.target, "The target read."),
        .required("added", \.added, "Backups the catalog did not know and now does (trigger rebuilt)."),
        .required("updated", \.updated, "Known backups found on this target too."),
        .required("known", \.known, "Archives there that were already cataloged."),
        .required("problems", \.problems, "Archives that could not be read or whose manifest does not match their name."),
    ]
}

/// One backup's copy in a scrub report, with what was found.
public struct ScrubFinding: WireObject, Equatable {
    public var id = ""
    public var problem = ""
    public init() {}
    public init(id: String, problem: String) {
        self.id = id
        self.problem = problem
    }
    public static let fields: [WireField<ScrubFinding>] = [
        .required("id", \.id, "The backup."),
        .required("problem", \.problem, "What was wrong with the copy, or why it was not read."),
    ]
}

/// What a scrub pass of one target did.
public struct ScrubTargetReport: WireObject, Equatable {
    public var target = ""
    public var verified: [String] = []
    public var damaged: [ScrubFinding] = []
    public var repaired: [String] = []
    public var lost: [String] = []
    public var skipped: [ScrubFinding] = []
    public var bytes: UInt64 = 0
    public var seconds = 0.0
    public init() {}
    public static let fields: [WireField<ScrubTargetReport>] = [
        .required("target", \.target, "The target."),
        .required("verified", \.verified, "Backups whose copy was read back and found as written (checked against the catalog)."),
        .required("damaged", \.damaged, "Copies found damaged or missing; each is marked failed and copied again from a good copy."),
        .required("repaired", \.repaired, "Of those, the ones copied again during the pass."),
        .required("lost", \.lost, "Backups with no good copy left on any target, now marked damaged."),
        .required("skipped", \.skipped, "Copies not read this time, and why (being written or deleted, the target not usable)."),
        .required("bytes", \.bytes, "Bytes read back."),
        .required("seconds", \.seconds, "How long the pass took."),
    ]
}

/// What `scrub.run` did.
public struct ScrubRun: WireObject, Equatable {
    public var started: [String] = []
    public var reports: [ScrubTargetReport] = []
    public init() {}
    public static let fields: [WireField<ScrubRun>] = [
        .required("started", \.started, "The targets whose pass was started (or joined, when one was running)."),
        .required("reports", \.reports, "With wait: what each pass found; empty otherwise."),
    ]
}

/// What `daemon.reload` applied.
public struct ReloadResult: WireObject, Equatable {
    public var file = ""
    public var restartRequired: [String] = []
    public var sets: [String] = []
    public var targets: [String] = []
    public var jobs: [String] = []
    public init() {}
    public static let fields: [WireField<ReloadResult>] = [
        .required("file", \.file, "The configuration file read."),
        .required("restart_required", \.restartRequired, "Settings that changed but take effect only after a restart."),
        .required("sets", \.sets, "The sets now configured."),
        .required("targets", \.targets, "The targets now configured."),
        .required("jobs", \.jobs, "The jobs now configured in the file."),
    ]
}
