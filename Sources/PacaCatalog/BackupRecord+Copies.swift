/// Decisions about one backup's copies on its targets: whether an archive found on a target is
/// that backup's, and what a damaged copy does to the record.
extension BackupRecord {
    /// Why an archive found on a target (its manifest's SHA-256, its sidecar's digest, its size)
    /// is not attached to this record as a copy, or nil when it may be. A readable backup takes
    /// only a copy with the digests recorded when it was written, since a copy with other
    /// contents may have been changed; one known only as not finished takes what is there. A
    /// sealed copy (no manifest digest: pacad cannot open it) is matched by its sidecar alone.
    public func refusalToAttach(manifestSha256: String?, sidecar: String?, size: UInt64, sealed: Bool = false) -> String? {
        if status == .running { return "backup \(id) is being written; rebuild again when it ends" }
        guard isReadable else { return nil }
        let different = "it is not the archive cataloged as backup \(id)"
        let leftAlone = "left out of the catalog; check it with pacactl archive verify, or remove it"
        if sealed != self.sealed {
            return
                "\(different) (the catalog has it \(self.sealed ? "sealed" : "not sealed"), this copy is \(sealed ? "sealed" : "not")): \(leftAlone)"
        }
        if let recorded = self.manifestSha256, let manifestSha256, recorded != manifestSha256 {
            return "\(different) (its manifest's SHA-256 differs from the one recorded when it was written): \(leftAlone)"
        }
        if let recorded = sha256 {
            guard let sidecar else {
                return "it has no sidecar, so it cannot be matched with backup \(id)'s recorded SHA-256: \(leftAlone)"
            }
            if sidecar != recorded { return "\(different) (its sidecar gives another SHA-256): \(leftAlone)" }
        } else if self.manifestSha256 == nil {
            return "backup \(id) has no recorded digest to match the copy with: \(leftAlone)"
        }
        if status != .unverified && bytesStored != size {
            return "\(different) (it is \(size) bytes, the catalog recorded \(bytesStored)): \(leftAlone)"
        }
        return nil
    }

    /// Marks the good copy on `target` failed because a scrub found it damaged (`problem`), due
    /// for a retry at `now`, which copies it again from a good copy. With no good copy left the
    /// backup becomes ``Status/damaged`` and lists `lost` (at most 100). Returns true then.
    public mutating func markCopyDamaged(on target: String, problem: String, lost: [String], now: Int64) -> Bool {
        guard let index = deliveries.firstIndex(where: { $0.target == target && $0.status == .ok }) else { return false }
        deliveries[index].status = .failed
        deliveries[index].error = "a scrub found this copy damaged: \(problem)"
        deliveries[index].nextAttemptAt = now
        deliveries[index].verifiedAt = nil
        guard delivered.isEmpty else { return false }
        status = .damaged
        self.lost = Array(lost.prefix(100))
        error = "no good copy is left on any target (a scrub of \"\(target)\" found: \(problem))"
        return true
    }
}

/// What a caller holding the identity read in the manifest of a sealed backup that a rebuild
/// recovered from its name alone (`catalog.describe`): pacad cannot read it itself.
public struct SealedDescription: Sendable, Equatable {
    public var manifestSha256: String
    public var files: Int
    public var bytesIn: UInt64
    public var bytesWritten: UInt64
    public var filesReferenced: Int
    public var bytesReferenced: UInt64
    public var references: [String]
    public var base: String?

    public init(
        manifestSha256: String, files: Int, bytesIn: UInt64, bytesWritten: UInt64, filesReferenced: Int, bytesReferenced: UInt64,
        references: [String], base: String?
    ) {
        self.manifestSha256 = manifestSha256.lowercased()
        self.files = files
        self.bytesIn = bytesIn
        self.bytesWritten = bytesWritten
        self.filesReferenced = filesReferenced
        self.bytesReferenced = bytesReferenced
        self.references = references
        self.base = base
    }

    /// Why `record` does not take this description, given the ids of its set's cataloged
    /// backups, or nil when it does.
    public func refusal(for record: BackupRecord, setBackups: Set<String>) -> String? {
        guard record.sealed && record.status == .unverified else {
            return "backup \(record.id) is not a sealed backup recovered by a rebuild; only those take a description"
        }
        guard manifestSha256.count == 64, manifestSha256.allSatisfy(\.isHexDigit) else {
            return "manifest_sha256 must be 64 hex digits"
        }
        guard files >= 0, filesReferenced >= 0, filesReferenced <= files, references.count <= 100_000 else {
            return "the counts do not add up (files \(files), files_referenced \(filesReferenced))"
        }
        for id in references + (base.map { [$0] } ?? []) where id == record.id || !setBackups.contains(id) {
            return "\(id) is not a cataloged backup of set \(record.set)"
        }
        return nil
    }
}

extension BackupRecord {
    /// Takes `description`'s files, bytes and references; the backup stays unverified.
    public mutating func describe(_ description: SealedDescription) {
        manifestSha256 = description.manifestSha256
        files = description.files
        bytesIn = description.bytesIn
        bytesWritten = description.bytesWritten
        filesReferenced = description.filesReferenced
        bytesReferenced = description.bytesReferenced
        references = description.references.sorted()
        base = description.base
        type = references.isEmpty ? .full : .incremental
    }
}

extension BackupRecord {
    /// Whether the copy on `target` was read back and found as written (by a scrub, or right
    /// after a checkpoint capture's backup): what lets `keep_best` count it.
    public func isVerified(on target: String) -> Bool {
        deliveries.contains { $0.target == target && $0.status == .ok && $0.verifiedAt != nil }
    }
}
