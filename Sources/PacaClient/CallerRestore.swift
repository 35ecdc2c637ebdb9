import Foundation
public import PacaAge
public import PacaArchive
import PacaCore
public import PacaProtocol
import PacaSystem
import Synchronization

/// A restore written by the caller: pacad authorizes it and serves the archives' bytes
/// (`restore.open`, `restore.read`, `restore.close`), this process writes the files with its own
/// rights through the same extractor as `pacactl archive extract`. The files belong to the
/// caller, land only where the caller may write, and, for a caller who is not root, hold only
/// what it could have read when they were backed up: the rest is left out and listed.
public enum CallerRestore {
    /// Restores backup `id` into `destination` through the daemon at `paths`; `options.reader`
    /// is set from what the daemon says of the caller. `progress` gets bytes written and the total.
    /// Sealed archives are decrypted here with the first of `identities` that opens them: pacad
    /// serves only their encrypted bytes.
    public static func run(
        _ id: String, to destination: String, options: ExtractionOptions, identities: [AgeIdentity] = [],
        paths: [String] = SocketLocation.candidates(),
        timeout: Duration? = Connection.defaultTimeout, progress: (@Sendable (UInt64, UInt64) -> Void)? = nil
    ) throws(ClientError) -> (session: RestoreSession, result: ExtractionResult) {
        try withSession(id, identities: identities, paths: paths, timeout: timeout) { (session, sources) throws(ClientError) in
            (session, try extract(sources, of: session, to: destination, options: options, progress: progress))
        }
    }

    private static func extract(
        _ sources: [(backup: String, source: any ArchiveByteSource)], of session: RestoreSession, to destination: String,
        options: ExtractionOptions, progress: (@Sendable (UInt64, UInt64) -> Void)?
    ) throws(ClientError) -> ExtractionResult {
        var options = options
        options.manifestSha256 = session.manifestSha256
        if session.restricted {
            let access = ReadAccess(
                uid: UInt32(truncatingIfNeeded: session.uid), groups: session.groups.map { UInt32(truncatingIfNeeded: $0) })
            options.reader = ReaderLimit(access: access, closedRoots: Set(session.closedRoots))
        }
        var references: [String: any ArchiveByteSource] = [:]
        for (backup, source) in sources.dropFirst() { references[backup] = source }
        do {
            return try ArchiveExtractor.extract(
                from: sources[0].source, to: destination, options: options, references: references, progress: progress)
        } catch {
            throw ClientError(.archive(error), error.description)
        }
    }

    /// Checks the contents of sealed backup `id` here, where the identity is: pacad serves its
    /// encrypted bytes through a restore session, and every entry is decrypted and checked
    /// against its CRC-32 and the manifest's SHA-256, the manifest against the catalog's. With
    /// `deep`, the files an incremental backup takes from other archives are read from those
    /// archives and checked too. The stored bytes are pacad's to check (`backup.verify`).
    public static func verifyContents(
        _ id: String, identities: [AgeIdentity], deep: Bool, paths: [String] = SocketLocation.candidates(),
        timeout: Duration? = Connection.defaultTimeout, progress: (@Sendable (UInt64) -> Void)? = nil
    ) throws(ClientError) -> VerificationResult {
        try withSession(id, identities: identities, paths: paths, timeout: timeout) { (session, sources) throws(ClientError) in
            try verify(sources, manifestSha256: session.manifestSha256, deep: deep, progress: progress)
        }
    }

    private static func verify(
        _ sources: [(backup: String, source: any ArchiveByteSource)], manifestSha256: String?, deep: Bool,
        progress: (@Sendable (UInt64) -> Void)?
    ) throws(ClientError) -> VerificationResult {
        do {
            var result = try ArchiveVerifier.verifyEntries(sources[0].source, manifestSha256: manifestSha256, progress: progress)
            result.isSealed = sources[0].source is SealedByteSource
            if deep && result.isValid && sources.count > 1 {
                let manifest = try ArchiveReader(source: sources[0].source).manifest()
                var references: [String: any ArchiveByteSource] = [:]
                for (backup, source) in sources.dropFirst() { references[backup] = source }
                result.problems += ArchiveVerifier.verifyReferencedFiles(
                    manifest, own: sources[0].source, references: references, progress: progress)
            }
            return result
        } catch {
            throw ClientError(.archive(error), error.description)
        }
    }

    /// The summary of sealed backup `id`'s manifest and the manifest's SHA-256, read here with
    /// `identities` through a restore session (for `catalog.describe`, after a rebuild).
    public static func manifestSummary(
        _ id: String, identities: [AgeIdentity], paths: [String] = SocketLocation.candidates(),
        timeout: Duration? = Connection.defaultTimeout
    ) throws(ClientError) -> (summary: ManifestSummary, sha256: String) {
        try withSession(id, identities: identities, paths: paths, timeout: timeout) {
            (_, sources) throws(ClientError) -> (summary: ManifestSummary, sha256: String) in
            do throws(ArchiveError) {
                return try ManifestSummary.read(try ArchiveReader(source: sources[0].source, readingDirectory: false))
            } catch {
                throw ClientError(.archive(error), error.description)
            }
        }
    }

    /// Runs `body` on a restore session of backup `id` (opened through the daemon at `paths`,
    /// closed afterwards) and its archives, the backup's own first, sealed ones decrypted.
    private static func withSession<T>(
        _ id: String, identities: [AgeIdentity], paths: [String], timeout: Duration?,
        _ body: (RestoreSession, [(backup: String, source: any ArchiveByteSource)]) throws(ClientError) -> T
    ) throws(ClientError) -> T {
        let connection = try Connection(paths: paths, timeout: timeout)
        let session = try connection.call(Methods.restoreOpen, RestoreOpenParams(id: id)).result
        let link = RestoreLink(connection, session: session.session)
        defer { link.close() }
        guard !session.archives.isEmpty else { throw ClientError(.broken, "pacad's restore session for \(id) names no archive") }
        return try body(session, try opened(session, link, identities: identities))
    }

    /// The session's archives as the ZIP reader reads them: sealed ones decrypted with the first
    /// of `identities` that opens them; without one, an error that names `--identity`.
    static func opened(_ session: RestoreSession, _ link: RestoreLink, identities: [AgeIdentity]) throws(ClientError)
        -> [(backup: String, source: any ArchiveByteSource)]
    {
        var sources: [(backup: String, source: any ArchiveByteSource)] = []
        for archive in session.archives.map({ RemoteArchive(link, backup: $0.backup, size: $0.size) }) {
            guard SealedByteSource.isSealed(archive) else {
                sources.append((archive.backup, archive))
                continue
            }
            guard !identities.isEmpty else {
                let message = "backup \(archive.backup) is sealed with age: give the identity that opens it with --identity FILE"
                throw ClientError(.archive(ArchiveError(.invalidArgument, message)), message)
            }
            do { sources.append((archive.backup, try SealedByteSource(archive, identities: identities))) } catch {
                throw ClientError(.archive(error), error.description)
            }
        }
        return sources
    }
}

/// The connection a restore session reads through, one request at a time.
final class RestoreLink: Sendable {
    private let connection: Mutex<Connection?>
    let session: String

    init(_ connection: sending Connection, session: String) {
        self.connection = Mutex(connection)
        self.session = session
    }

    /// Up to `length` bytes of `backup`'s archive at `offset`.
    func read(_ backup: String, offset: UInt64, length: Int) throws(ArchiveError) -> [UInt8] {
        let session = self.session
        let outcome = connection.withLock { connection -> Result<Connection.Reply<RestoreBytes>, ClientError> in
            guard let connection else { return .failure(ClientError(.broken, "the restore session has ended")) }
            return Result { () throws(ClientError) in
                try connection.call(
                    Methods.restoreRead,
                    RestoreReadParams(session: session, backup: backup, offset: offset, length: Int64(length), binary: true))
            }
        }
        let reply: Connection.Reply<RestoreBytes>
        switch outcome {
        case .success(let bytes): reply = bytes
        case .failure(let error): throw ArchiveError(.io, "reading backup \(backup) through pacad: \(error.message)")
        }
        guard let bytes = reply.attachment, bytes.count == reply.result.length, bytes.count <= length else {
            throw ArchiveError(.io, "pacad sent bytes of backup \(backup) that do not match the length it gave")
        }
        return bytes
    }

    /// Ends the session (best effort: an idle session ends on its own) and the connection.
    func close() {
        let session = self.session
        connection.withLock { connection in
            _ = try? connection?.call(Methods.restoreClose, RestoreCloseParams(session: session))
            connection = nil
        }
    }
}

/// One archive of a restore session, read through the daemon in blocks of 1 MiB, the last few
/// kept (the extractor reads headers and data near each other, from several threads).
final class RemoteArchive: BlockByteSource {
    let backup: String
    let size: UInt64
    var name: String { "backup \(backup)" }
    private let link: RestoreLink
    static let blockSize: UInt64 = 1 << 20
    private static let blocksKept = 16
    private let blocks = Mutex<[(index: UInt64, bytes: [UInt8])]>([])

    init(_ link: RestoreLink, backup: String, size: UInt64) {
        self.link = link
        self.backup = backup
        self.size = size
    }

    func block(_ index: UInt64) throws(ArchiveError) -> [UInt8] {
        if let kept = blocks.withLock({ $0.first { $0.index == index }?.bytes }) { return kept }
        let bytes = try link.read(backup, offset: index * Self.blockSize, length: Int(Self.blockSize))
        blocks.withLock { blocks in
            if blocks.count >= Self.blocksKept { blocks.removeFirst() }
            blocks.append((index, bytes))
        }
        return bytes
    }
}
