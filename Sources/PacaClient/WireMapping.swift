public import PacaArchive
public import PacaProtocol

extension ArchiveIssue {
    /// The wire form of an archive problem.
    public init(_ problem: ArchiveProblem) {
        self.init(code: problem.code.rawValue, entry: problem.entry, offset: problem.offset, message: problem.message)
    }
}

extension RestoreResult {
    /// The wire form of a restore of backup `id`, whoever wrote it (the daemon for `restore.run`,
    /// the caller's pacactl otherwise).
    public init(id: String, _ restored: ExtractionResult) {
        self.init()
        self.id = id
        destination = restored.destination
        files = restored.files
        directories = restored.directories
        symlinks = restored.symlinks
        bytes = restored.bytes
        problems = restored.problems.map(ArchiveIssue.init)
        archive = restored.archive
        seconds = restored.seconds
        leftOut = restored.leftOut
    }
}
