public import PacaArchive

/// A place archives are delivered to, by key: `<set>/<backup-id>.zip`, with the `sha256sum`
/// sidecar at the key plus `.sha256`. A directory (``DirectoryTarget``) or an S3-compatible
/// bucket (``S3Target``); the engine treats both alike.
///
/// An archive appears under its key only once complete (a directory renames its partial file, a
/// bucket completes its multipart upload), so a crash never leaves a truncated archive visible;
/// ``sweep()`` removes what a crash left behind (partial files, unfinished uploads).
public protocol ArchiveTarget: Sendable {
    var name: String { get }
    /// Where the target is, for `status` and errors: a path, or `http(s)://host/bucket/prefix`.
    /// Never carries credentials.
    var display: String { get }
    /// Where `key` is, for people: a path or an `s3://bucket/key` name.
    func location(of key: String) -> String
    /// Starts writing the archive at `key`. The upload is then fed from a blocking thread.
    func beginUpload(_ key: String) async throws(TargetError) -> any ArchiveUpload
    /// A file on this machine holding the archive at `key`: the archive itself for a directory,
    /// a downloaded copy in `scratchDirectory` for a bucket (``LocalArchive/isTemporary``).
    func localCopy(of key: String, scratchDirectory: String) async throws(TargetError) -> LocalArchive
    /// Every archive on the target (keys ending in `.zip`, or `.zip.age` when sealed), with sizes.
    func list() async throws(TargetError) -> [TargetObject]
    /// The bytes of `range` of the object at `key` (a sidecar, the end of an archive).
    func read(_ key: String, range: ClosedRange<UInt64>) async throws(TargetError) -> [UInt8]
    /// Removes the archive at `key` and its sidecar; already gone is not an error.
    func remove(_ key: String) async throws(TargetError)
    /// Whether the target can be written now, and its free space when it has one to tell.
    func check() async -> TargetCheck
    /// Removes what an interrupted write left (partial files, unfinished multipart uploads) and
    /// returns a description of each. Run at start, before any backup.
    func sweep() async throws(TargetError) -> [String]
    /// Makes sure the root (a folder, a bucket prefix) is this target's by its `.paca-target`
    /// (``TargetClaim``): `lastDelivered` is the catalog's newest archive there. Returns what it
    /// did for the log (nil when the root was already known); throws when the root is refused.
    func claim(lastDelivered: String?, now: Int64) async throws(TargetError) -> String?
    /// `pacactl target init`: a new marker at the root, on purpose. Returns what it did.
    func adopt(now: Int64) async throws(TargetError) -> String
}

/// An archive being delivered to one target. Fed from one blocking thread, in order; handed
/// between threads but never used by two at once.
public protocol ArchiveUpload: ArchiveSink, Sendable {
    /// Makes the archive visible under its key, with its sidecar. Blocks until it is durable.
    func commit(sha256: String) throws(ArchiveError)
    /// Gives the upload up and removes whatever it wrote. Blocks until done.
    func abandon()
    /// The file being written on this machine, if any (kept out of the archive itself).
    var localPartialPath: String? { get }
}

extension ArchiveUpload {
    public var localPartialPath: String? { nil }
}

/// An archive on a target, as a listing shows it.
public struct TargetObject: Sendable, Equatable {
    /// `<set>/<backup-id>.zip` (`.zip.age` when sealed).
    public var key: String
    public var size: UInt64

    public init(key: String, size: UInt64) {
        self.key = key
        self.size = size
    }
}

/// An archive readable as a local file.
public struct LocalArchive: Sendable, Equatable {
    public var path: String
    /// True when it is a downloaded copy that the caller removes when done.
    public var isTemporary: Bool
    /// Other copies in place (on other directory targets), read where `path` fails.
    public var alternates: [String] = []

    public init(path: String, isTemporary: Bool, alternates: [String] = []) {
        self.path = path
        self.isTemporary = isTemporary
        self.alternates = alternates
    }

    /// The archive for reading: from `path`, and from the alternates where that fails.
    public func source() throws(ArchiveError) -> any ArchiveByteSource {
        alternates.isEmpty ? try FileByteSource(path: path) : try FailoverByteSource(paths: [path] + alternates)
    }

    /// `archives` (by backup id) opened for reading.
    public static func sources(_ archives: [String: LocalArchive]) throws(ArchiveError) -> [String: any ArchiveByteSource] {
        var sources: [String: any ArchiveByteSource] = [:]
        for (id, archive) in archives { sources[id] = try archive.source() }
        return sources
    }
}

/// What checking a target found.
public struct TargetCheck: Sendable, Equatable {
    /// Nil when the target is usable; else why not, in words.
    public var problem: String?
    /// Free bytes where the target has a notion of it (a directory's file system).
    public var freeBytes: UInt64?

    public init(problem: String? = nil, freeBytes: UInt64? = nil) {
        self.problem = problem
        self.freeBytes = freeBytes
    }
}

/// The key of backup `id` of `set` on any target.
public func archiveKey(set: String, id: String, sealed: Bool = false) -> String { "\(set)/\(id).zip" + (sealed ? ".age" : "") }
