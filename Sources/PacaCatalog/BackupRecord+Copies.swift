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
