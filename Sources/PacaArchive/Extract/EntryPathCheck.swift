/// The syntactic half of zip-slip protection: an entry name must be a plain relative path.
enum EntryPathCheck {
    /// Throws ``ArchiveError/Code/unsafePath`` naming the entry when its path is absolute, has a
    /// `..`, `.` or empty component, or contains a NUL or backslash-drive form like `C:`.
    static func validate(_ entry: ArchiveEntry) throws(ArchiveError) {
        try validate(path: entry.path, offset: Int64(entry.localHeaderOffset))
    }

    /// The same check for a path a manifest names (a file another archive holds, a hard link).
    static func validate(path: String, offset: Int64? = nil) throws(ArchiveError) {
        func refuse(_ why: String) -> ArchiveError {
            ArchiveError(.unsafePath, "refusing to extract: the entry's path \(why)", entry: path, offset: offset)
        }
        guard !path.isEmpty else { throw refuse("is empty") }
        guard !path.hasPrefix("/") else { throw refuse("is absolute") }
        guard !path.unicodeScalars.contains("\0") else { throw refuse("contains a NUL character") }
        for component in path.split(separator: "/", omittingEmptySubsequences: false) {
            switch component {
            case "..": throw refuse("contains \"..\"")
            case ".": throw refuse("contains a \".\" component")
            case "": throw refuse("contains an empty component (\"//\")")
            default: break
            }
        }
        if path.count >= 2, path.unicodeScalars.dropFirst().first == ":" {
            throw refuse("starts with a drive letter")
        }
    }
}
