/// The archives of the backups an incremental backup references, by backup id, each opened (its
/// central directory read and indexed by path) the first time a file is looked up in it. Where
/// restore, deep verify and carry-forward find the files a backup's own archive does not hold.
/// Used from one thread at a time.
final class HolderArchives {
    /// What looking a file up found.
    enum Lookup {
        case found(ArchiveReader, ArchiveEntry)
        /// The holder's archive was not given or cannot be read; the reason says which.
        case unavailable(String)
        /// The holder's archive has no entry of that name.
        case missing
    }

    private let sources: [String: any ArchiveByteSource]
    private var opened: [String: Result<(reader: ArchiveReader, entries: [String: ArchiveEntry]), ArchiveError>] = [:]

    init(_ sources: [String: any ArchiveByteSource]) { self.sources = sources }

    /// The entry at `path` in the archive of backup `holder`.
    func lookup(_ path: String, in holder: String) -> Lookup {
        if opened[holder] == nil, let source = sources[holder] {
            opened[holder] = Result { () throws(ArchiveError) in
                let reader = try ArchiveReader(source: source)
                return (reader, Dictionary(reader.entries.map { ($0.path, $0) }, uniquingKeysWith: { _, last in last }))
            }
        }
        switch opened[holder] {
        case nil: return .unavailable("the archive of backup \(holder) was not given")
        case .failure(let error)?: return .unavailable("the archive of backup \(holder) cannot be read: \(error.description)")
        case .success(let open)?: return open.entries[path].map { .found(open.reader, $0) } ?? .missing
        }
    }
}
