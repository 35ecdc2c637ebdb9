import PacaArchive
import PacaSystem

/// A local or mounted directory: archives at `<root>/<set>/<backup-id>.zip`, written through
/// ``PartialArchiveFile`` (partial file, fsync, rename, directory fsync).
///
/// With `identities` (the daemon's), the root has an identity: the first delivery's
/// ``claim(lastDelivered:now:)`` writes `<root>/.paca-target` and records its id, and every
/// later write or removal first checks that the root still carries that id. A root without it
/// (an empty mount point, another disk) fails with a message asking whether the disk is mounted,
/// and pacad never creates a root it has delivered to.
public struct DirectoryTarget: ArchiveTarget {
    public let name: String
    public let root: String
    public let identities: TargetIdentities?

    public init(name: String, root: String, identities: TargetIdentities? = nil) {
        self.name = name
        self.root = root
        self.identities = identities
    }

    public var display: String { root }

    public func location(of key: String) -> String { root + "/" + key }

    private func failure(_ error: SystemError) -> TargetError {
        TargetError(.storage, "target \"\(name)\": \(error)", underlying: error)
    }

    private var gone: TargetError {
        TargetError(.storage, "target \"\(name)\": the directory \(root) is gone (unmounted or removed)")
    }

    /// The marker in the root, nil when there is none; a marker that cannot be read is an error.
    func marker() throws(TargetError) -> TargetMarker? {
        let path = root + "/" + TargetMarker.fileName
        let bytes: [UInt8]?
        do { bytes = try DurableFile.read(path, limit: 64 << 10) } catch {
            if error.isNotFound || error.isNotDirectory { return nil }
            throw failure(error)
        }
        guard let bytes else { return nil }
        guard let marker = TargetMarker(json: bytes) else {
            throw TargetError(
                .storage, "target \"\(name)\": \(path) is not a pacad target marker; move it away or run `pacactl target init \(name)`")
        }
        return marker
    }

    /// Makes sure the root is this target's, at start and before deliveries when it was not yet:
    /// a root with this target's recorded marker is; a root with a marker and no id recorded yet
    /// (a new state directory) is adopted. Without a marker: a target never delivered to gets its
    /// root (created when missing) and a new marker; one delivered to before (`lastDelivered`,
    /// the key of its newest delivery in the catalog) is adopted only when that archive is there
    /// (a root from before 0.11), and otherwise refused: the disk is probably not mounted.
    /// Returns a line to log when it did something; without `identities` it only makes the root.
    @discardableResult
    public func claim(lastDelivered: String?, now: Int64) async throws(TargetError) -> String? {
        let target = self
        return try await BlockingPool.shared.run { () throws(TargetError) -> String? in
            try target.claimNow(lastDelivered: lastDelivered, now: now)
        }
    }

    private func claimNow(lastDelivered: String?, now: Int64) throws(TargetError) -> String? {
        guard let identities else {
            do { try DurableFile.makeDirectories(root) } catch { throw failure(error) }
            return nil
        }
        let decision = TargetClaim.decide(
            known: identities.id(of: name), marker: try marker(), lastDelivered: lastDelivered,
            lastDeliveredIsThere: lastDelivered.map { Syscall.exists(location(of: $0)) } ?? false)
        switch decision {
        case .confirmed: return nil
        case .recordExisting(let id):
            do { try identities.record(id, for: name) } catch { throw failure(error) }
            return "target \"\(name)\": took \(root) as this target (its .paca-target, id \(id))"
        case .writeNew(let adopting):
            if !adopting {
                do { try DurableFile.makeDirectories(root) } catch { throw failure(error) }
            }
            return try mark(now: now, adopting: adopting)
        case .refuseUnmarked, .refuseForeign: throw refusal(decision)
        }
    }

    /// `pacactl target init`: makes the existing root this target's on purpose, with a new
    /// marker (replacing another target's, whose archives stay where they are).
    public func adopt(now: Int64) async throws(TargetError) -> String {
        let target = self
        return try await BlockingPool.shared.run { () throws(TargetError) -> String in
            guard let info = try? Syscall.stat(target.root), info.kind == .directory else {
                throw TargetError(
                    .validation, "target \"\(target.name)\": \(target.root) is not a folder; create it (or mount the disk) first")
            }
            return try target.mark(now: now, adopting: true)
        }
    }

    private func mark(now: Int64, adopting: Bool) throws(TargetError) -> String {
        let marker = TargetMarker.fresh(for: name, at: now)
        do {
            try DurableFile.replace(root + "/" + TargetMarker.fileName, with: marker.json, permissions: 0o644)
            try identities?.record(marker.id, for: name)
        } catch {
            throw failure(error)
        }
        return "target \"\(name)\": " + (adopting ? "adopted" : "marked") + " \(root) as this target (.paca-target, id \(marker.id))"
    }

    /// Throws unless the root carries the marker recorded for this target (nothing to check
    /// without `identities`).
    func confirm() throws(TargetError) {
        guard let identities else {
            guard Syscall.exists(root) else { throw gone }
            return
        }
        let decision = TargetClaim.check(known: identities.id(of: name), marker: try marker())
        guard decision == .confirmed else { throw refusal(decision) }
    }

    /// The error for a refused root.
    private func refusal(_ decision: TargetClaim) -> TargetError {
        let why = Syscall.exists(root) ? "\(root) has no \(TargetMarker.fileName)" : "\(root) is gone"
        return TargetError(.storage, "target \"\(name)\": " + decision.explanation(root: root, missing: why, name: name, kind: "disk"))
    }

    public func beginUpload(_ key: String) async throws(TargetError) -> any ArchiveUpload {
        let (path, target) = (location(of: key), self)
        let name = self.name
        return try await BlockingPool.shared.run { () throws(TargetError) -> any ArchiveUpload in
            try target.confirm()
            do throws(SystemError) { try DurableFile.makeDirectories(PathText.directory(of: path)) } catch {
                throw TargetError(.storage, "target \"\(name)\": \(error)", underlying: error)
            }
            do throws(ArchiveError) { return DirectoryUpload(file: try PartialArchiveFile(destination: path)) } catch {
                throw TargetError(.storage, "target \"\(name)\": \(error.description)", underlying: error)
            }
        }
    }

    public func localCopy(of key: String, scratchDirectory: String) async throws(TargetError) -> LocalArchive {
        let path = location(of: key)
        guard await BlockingPool.shared.run({ Syscall.exists(path) }) else {
            throw TargetError(.missing, "target \"\(name)\": the archive \(path) is missing")
        }
        return LocalArchive(path: path, isTemporary: false)
    }

    public func list() async throws(TargetError) -> [TargetObject] {
        let (root, gone) = (self.root, self.gone)
        return try await BlockingPool.shared.run { () throws(TargetError) -> [TargetObject] in
            guard Syscall.exists(root) else { throw gone }
            var objects: [TargetObject] = []
            for set in DurableFile.names(in: root).sorted() {
                for file in DurableFile.names(in: root + "/" + set).sorted() where file.hasSuffix(".zip") || file.hasSuffix(".zip.age") {
                    guard let info = try? Syscall.lstat(root + "/" + set + "/" + file), info.kind == .regular else { continue }
                    objects.append(TargetObject(key: set + "/" + file, size: UInt64(info.size)))
                }
            }
            return objects
        }
    }

    public func read(_ key: String, range: ClosedRange<UInt64>) async throws(TargetError) -> [UInt8] {
        let path = location(of: key)
        do {
            return try await BlockingPool.shared.run { () throws(SystemError) -> [UInt8] in
                let fd = try Syscall.open(path, .readOnly)
                defer { Syscall.close(fd) }
                var bytes = [UInt8](repeating: 0, count: Int(range.count))
                let done = try bytes.withMutableBytes { (raw) throws(SystemError) in
                    try Syscall.preadFully(fd, raw, offset: Int64(range.lowerBound), path: path)
                }
                return Array(bytes[..<done])
            }
        } catch {
            throw failure(error)
        }
    }

    public func remove(_ key: String) async throws(TargetError) {
        let (path, target) = (location(of: key), self)
        // Never delete from a folder that is not this target (another disk with the same layout).
        try await BlockingPool.shared.run { () throws(TargetError) in try target.confirm() }
        do {
            try await BlockingPool.shared.run { () throws(SystemError) in
                try DurableFile.remove(path)
                try DurableFile.remove(path + ".sha256")
                DurableFile.syncDirectory(of: path)
            }
        } catch {
            throw failure(error)
        }
    }

    public func check() async -> TargetCheck {
        let (root, target) = (self.root, self)
        return await BlockingPool.shared.run { () -> TargetCheck in
            if target.identities != nil {
                do throws(TargetError) { try target.confirm() } catch { return TargetCheck(problem: error.message) }
            }
            let free: UInt64
            do throws(SystemError) { free = try Syscall.availableBytes(root) } catch {
                return TargetCheck(problem: "the directory \(root) is not reachable: \(error.reason)")
            }
            guard Syscall.isWritable(root) else { return TargetCheck(problem: "the directory \(root) is not writable", freeBytes: free) }
            return TargetCheck(freeBytes: free)
        }
    }

    public func sweep() async throws(TargetError) -> [String] {
        let (root, target) = (self.root, self)
        return await BlockingPool.shared.run { () -> [String] in
            // Partial files in a folder that is not this target's are none of pacad's business.
            guard (try? target.confirm()) != nil else { return [] }
            var removed: [String] = []
            for set in DurableFile.names(in: root) {
                for file in DurableFile.names(in: root + "/" + set) where file.hasSuffix(".partial") {
                    let path = root + "/" + set + "/" + file
                    if (try? DurableFile.remove(path)) == true { removed.append(path) }
                }
            }
            return removed
        }
    }
}

/// A directory delivery: the partial file, committed by rename. Unchecked Sendable: an upload is
/// handed from the thread that opens it to the one that writes it, never shared.
final class DirectoryUpload: ArchiveUpload, @unchecked Sendable {
    private let file: PartialArchiveFile

    init(file: PartialArchiveFile) { self.file = file }

    func write(_ bytes: UnsafeRawBufferPointer) throws(ArchiveError) { try file.write(bytes) }
    func commit(sha256: String) throws(ArchiveError) { try file.commit(sha256: sha256) }
    func abandon() { file.discard() }
    var localPartialPath: String? { file.partialPath }
}
