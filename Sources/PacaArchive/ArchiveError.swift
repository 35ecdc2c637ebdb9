public import PacaSystem

/// An error from reading, writing, verifying or extracting an archive.
///
/// Carries a stable ``Code`` for programs, a message for people, and where it happened: the entry
/// name, the byte offset in the archive, and the system call error underneath when there is one.
/// Messages name paths and offsets, never file contents.
public struct ArchiveError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is; stable across versions, safe to switch on.
    public enum Code: String, Sendable, Codable {
        /// The file is not a ZIP archive at all.
        case notAZip = "not_a_zip"
        /// The archive ends before a structure it declares.
        case truncated
        /// A structure or compressed stream is malformed.
        case corrupt
        /// Stored data does not match its CRC-32 or SHA-256.
        case checksumMismatch = "checksum_mismatch"
        /// An entry name is absolute, contains `..`, or would be written through a symlink leaving the destination.
        case unsafePath = "unsafe_path"
        /// The destination exists and overwriting was not asked for.
        case alreadyExists = "already_exists"
        /// The archive or a source could not be found.
        case notFound = "not_found"
        /// A system call failed (see ``ArchiveError/underlying``).
        case io
        /// zlib refused to set up or run a stream.
        case compression
        /// The caller passed something unusable (an empty source list, a bad level, two roots with one name).
        case invalidArgument = "invalid_argument"
        /// The operation was cancelled before it finished.
        case cancelled
    }

    public let code: Code
    public let message: String
    /// The archive entry the error is about, when there is one.
    public var entry: String?
    /// The byte offset in the archive where the problem was found, when known.
    public var offset: Int64?
    /// The failing system call, for ``Code/io`` and some ``Code/notFound`` errors.
    public var underlying: SystemError?

    public init(_ code: Code, _ message: String, entry: String? = nil, offset: Int64? = nil, underlying: SystemError? = nil) {
        self.code = code
        self.message = message
        self.entry = entry
        self.offset = offset
        self.underlying = underlying
    }

    /// Wraps a system call failure, mapping `ENOENT` to ``Code/notFound``.
    public init(_ system: SystemError, entry: String? = nil) {
        self.init(system.isNotFound ? .notFound : .io, system.description, entry: entry, underlying: system)
    }

    public var description: String {
        var context: [String] = []
        if let entry { context.append("entry \"\(NameBytes.display(entry))\"") }
        if let offset { context.append("offset \(offset)") }
        return context.isEmpty ? message : "\(message) (\(context.joined(separator: ", ")))"
    }

    /// A manifest whose bytes are not those the catalog recorded when the archive was written.
    static func manifestMismatch(actual: String, expected: String) -> ArchiveError {
        ArchiveError(
            .checksumMismatch,
            "the archive's manifest is not the one written with the backup (its SHA-256 is \(actual), the catalog recorded \(expected)): the archive was changed after it was written"
        )
    }

    /// The same error with the entry (and offset, if not already set) filled in.
    func at(entry: String?, offset: Int64? = nil) -> ArchiveError {
        var copy = self
        if copy.entry == nil { copy.entry = entry }
        if copy.offset == nil { copy.offset = offset }
        return copy
    }
}

/// Runs `body`, turning a ``SystemError`` into an ``ArchiveError`` about `entry`.
func mappingSystemErrors<R>(entry: String? = nil, _ body: () throws(SystemError) -> R) throws(ArchiveError) -> R {
    switch Result(catching: body) {
    case .success(let value): return value
    case .failure(let error): throw ArchiveError(error, entry: entry)
    }
}
