import PacaArchive
public import PacaS3
import PacaSystem
import Synchronization

/// An S3-compatible bucket: archives at `<prefix>/<set>/<backup-id>.zip`, uploaded while they
/// are written (multipart, a few parts in memory at a time; one PUT for an archive smaller than
/// a part). An unfinished upload is not an object, so a crash leaves nothing under the key;
/// ``sweep()`` aborts such uploads under the prefix at start.
public struct S3Target: ArchiveTarget {
    public let name: String
    let client: S3Client
    /// Key prefix without slashes at either end (the host name already put in).
    let prefix: String
    let partSize: Int
    let concurrency: Int

    /// With the daemon's, the prefix has an identity: `<prefix>/.paca-target`, checked before
    /// every upload and removal, so a prefix edited to another machine's is neither written nor
    /// pruned.
    public let identities: TargetIdentities?
    /// This machine's unfinished uploads: with it, ``sweep()`` aborts only those.
    public let journal: UploadJournal?

    public init(
        name: String, client: S3Client, prefix: String, partSize: Int, concurrency: Int, identities: TargetIdentities? = nil,
        journal: UploadJournal? = nil
    ) {
        self.journal = journal
        self.name = name
        self.client = client
        self.prefix = prefix
        self.partSize = partSize
        self.concurrency = concurrency
        self.identities = identities
    }

    var markerKey: String { prefix + "/" + TargetMarker.fileName }

    /// The marker object, nil when there is none.
    func marker() async throws(TargetError) -> TargetMarker? {
        let bytes: [UInt8]
        do { bytes = try await client.get(markerKey) } catch {
            if error.isNotFound { return nil }
            throw failure(error)
        }
        guard let marker = TargetMarker(json: bytes) else {
            throw TargetError(.storage, "target \"\(name)\": \(location(of: TargetMarker.fileName)) is not a pacad target marker")
        }
        return marker
    }

    /// The prefix's identity at start (as DirectoryTarget's folder's): an unmarked prefix never
    /// delivered to gets a marker; one delivered to before is adopted only when the catalog's
    /// newest archive for it is there.
    @discardableResult
    public func claim(lastDelivered: String?, now: Int64) async throws(TargetError) -> String? {
        guard let identities else { return nil }
        var isThere = false
        if let lastDelivered {
            do { isThere = try await client.size(of: objectKey(lastDelivered)) != nil } catch { throw failure(error) }
        }
        let decision = TargetClaim.decide(
            known: identities.id(of: name), marker: try await marker(), lastDelivered: lastDelivered, lastDeliveredIsThere: isThere)
        switch decision {
        case .confirmed: return nil
        case .recordExisting(let id):
            do { try identities.record(id, for: name) } catch {
                throw TargetError(.storage, "target \"\(name)\": \(error)", underlying: error)
            }
            return "target \"\(name)\": took \(display) as this target (its .paca-target, id \(id))"
        case .writeNew(let adopting): return try await mark(now: now, adopting: adopting)
        case .refuseUnmarked, .refuseForeign: throw refusal(decision)
        }
    }

    /// `pacactl target init`: a new marker under the prefix.
    public func adopt(now: Int64) async throws(TargetError) -> String {
        try await mark(now: now, adopting: true)
    }

    private func mark(now: Int64, adopting: Bool) async throws(TargetError) -> String {
        let marker = TargetMarker.fresh(for: name, at: now)
        do { try await client.put(markerKey, body: marker.json) } catch { throw failure(error) }
        do { try identities?.record(marker.id, for: name) } catch {
            throw TargetError(.storage, "target \"\(name)\": \(error)", underlying: error)
        }
        return "target \"\(name)\": " + (adopting ? "adopted" : "marked") + " \(display) as this target (.paca-target, id \(marker.id))"
    }

    /// Throws unless the prefix carries the marker recorded for this target.
    func confirm() async throws(TargetError) {
        guard let identities else { return }
        let decision = TargetClaim.check(known: identities.id(of: name), marker: try await marker())
        guard decision == .confirmed else { throw refusal(decision) }
    }

    private func refusal(_ decision: TargetClaim) -> TargetError {
        TargetError(
            .storage,
            "target \"\(name)\": "
                + decision.explanation(
                    root: display, missing: "\(display) has no \(TargetMarker.fileName)", name: name, kind: "bucket or prefix"))
    }

    public var display: String { client.endpoint.display + "/" + prefix }

    public func location(of key: String) -> String { "s3://\(client.endpoint.bucket)/\(objectKey(key))" }

    func objectKey(_ key: String) -> String { prefix + "/" + key }

    private func failure(_ error: S3Error) -> TargetError { TargetError(.storage, "target \"\(name)\": \(error)", underlying: error) }

    public func beginUpload(_ key: String) async throws(TargetError) -> any ArchiveUpload {
        try await confirm()
        return S3Upload(client: client, key: objectKey(key), partSize: partSize, concurrency: concurrency, target: name, journal: journal)
    }

    /// Multipart uploads this process has started and not yet completed or aborted: ``sweep()``
    /// never touches them, so it may run while backups go on.
    static let ownUploads = Mutex<Set<String>>([])

    public func localCopy(of key: String, scratchDirectory: String) async throws(TargetError) -> LocalArchive {
        // A folder of its own per download, so two restores of one backup never share a file;
        // the archive keeps its name so its sidecar reads as it does on the target.
        let folder = scratchDirectory + "/" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let path = folder + "/" + PathText.baseName(key)
        let fd: Int32
        do {
            fd = try await BlockingPool.shared.run { () throws(SystemError) -> Int32 in
                try DurableFile.makeDirectories(folder, permissions: 0o700)
                return try Syscall.open(path, .writeOnly, options: [.create, .truncate], permissions: 0o600)
            }
        } catch {
            throw TargetError(.storage, "target \"\(name)\": cannot make a local copy: \(error)", underlying: error)
        }
        var outcome: Result<Void, TargetError>
        do throws(S3Error) {
            _ = try await client.download(objectKey(key)) { block, offset in
                try await BlockingPool.shared.run { () throws(SystemError) in
                    try block.withBytes { (raw) throws(SystemError) in try Syscall.pwriteAll(fd, raw, offset: Int64(offset), path: path) }
                }
            }
            outcome = .success(())
        } catch {
            outcome = .failure(
                error.isNotFound
                    ? TargetError(.missing, "target \"\(name)\": the archive \(key) is missing", underlying: error) : failure(error))
        }
        let synced = await BlockingPool.shared.run { () -> Result<Void, SystemError> in
            defer { Syscall.close(fd) }
            return Result { () throws(SystemError) in try Syscall.fsync(fd, path: path) }
        }
        if case .success = outcome, case .failure(let error) = synced {
            outcome = .failure(TargetError(.storage, "target \"\(name)\": cannot write the local copy: \(error)", underlying: error))
        }
        if case .success = outcome {
            do {
                let sidecar = try await client.get(objectKey(key) + ".sha256")
                try await BlockingPool.shared.run { () throws(SystemError) in try DurableFile.replace(path + ".sha256", with: sidecar) }
            } catch let error as S3Error where error.isNotFound {
                // No sidecar on the target: verification will say so.
            } catch let error as S3Error {
                outcome = .failure(failure(error))
            } catch {
                outcome = .failure(
                    TargetError(.storage, "target \"\(name)\": cannot write the local copy's sidecar: \(error)", underlying: error))
            }
        }
        switch outcome {
        case .success:
            return LocalArchive(path: path, isTemporary: true)
        case .failure(let error):
            await BlockingPool.shared.run {
                _ = try? DurableFile.remove(path)
                _ = try? DurableFile.remove(path + ".sha256")
                try? Syscall.rmdir(folder)
            }
            throw error
        }
    }

    public func list() async throws(TargetError) -> [TargetObject] {
        do {
            return try await client.list(prefix: prefix + "/").compactMap { object in
                guard object.key.hasSuffix(".zip") || object.key.hasSuffix(".zip.age") else { return nil }
                return TargetObject(key: String(object.key.dropFirst(prefix.count + 1)), size: object.size)
            }
        } catch { throw failure(error) }
    }

    public func read(_ key: String, range: ClosedRange<UInt64>) async throws(TargetError) -> [UInt8] {
        do { return try await client.get(objectKey(key), range: range) } catch { throw failure(error) }
    }

    public func remove(_ key: String) async throws(TargetError) {
        try await confirm()
        do {
            try await client.delete(objectKey(key))
            try await client.delete(objectKey(key) + ".sha256")
        } catch { throw failure(error) }
    }

    public func check() async -> TargetCheck {
        do {
            try await client.checkBucket()
            return TargetCheck()
        } catch {
            return TargetCheck(problem: error.description)
        }
    }

    public func sweep() async throws(TargetError) -> [String] {
        do {
            var aborted: [String] = []
            for upload in try await client.pendingUploads(prefix: prefix + "/") {
                guard !Self.ownUploads.withLock({ $0.contains(upload.uploadID) }) else { continue }
                // Another machine sharing the prefix may be uploading: only this machine's go.
                if let journal, !journal.contains(upload.uploadID) { continue }
                try await client.abortMultipart(upload.key, uploadID: upload.uploadID)
                journal?.ended(upload.uploadID)
                aborted.append("unfinished upload of s3://\(client.endpoint.bucket)/\(upload.key)")
            }
            return aborted
        } catch { throw failure(error) }
    }
}
