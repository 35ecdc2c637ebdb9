/// What a catalog rebuild from one target did (`BackupEngine.rebuildCatalog(from:)`).
public struct RebuildReport: Sendable, Equatable {
    public var target: String
    /// Backups the catalog did not know, now cataloged.
    public var added: [String] = []
    /// Known backups the catalog did not know on this target (copied there by hand), now listed
    /// there: only when the copy has the digests the catalog recorded.
    public var updated: [String] = []
    /// Archives already cataloged on this target.
    public var known = 0
    /// Archives that could not be read, by key, with the reason.
    public var problems: [String: String] = [:]

    public init(target: String) { self.target = target }
}
