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

    public init(name: String, client: S3Client, prefix: String, partSize: Int, concurrency: Int) {
        self.name = name
        self.client = client
        self.prefix = prefix
        self.partSize = partSize
        self.concurrency = concurrency
    }

    public var display: String { client.endpoint.display + "/" + prefix }

    public func location(of key: String) -> String { "s3://\(client.endpoint.bucket)/\(objectKey(key))" }

    func objectKey(_ key: String) -> String { prefix + "/" + key }

    private func failure(_ error: S3Error) -> TargetError { TargetError(.storage, "target \"\(name)\": \(error)", underlying: error) }

    public func beginUpload(_ key: String) async throws(TargetError) -> any ArchiveUpload {
        S3Upload(client: client, key: objectKey(key), partSize: partSize, concurrency: concurrency, target: name)
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
            outcome = .failure(failure(error))
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
                guard object.key.hasSuffix(".zip") else { return nil }
                return TargetObject(key: String(object.key.dropFirst(prefix.count + 1)), size: object.size)
            }
        } catch { throw failure(error) }
    }

    public func read(_ key: String, range: ClosedRange<UInt64>) async throws(TargetError) -> [UInt8] {
        do { return try await client.get(objectKey(key), range: range) } catch { throw failure(error) }
    }

    public func remove(_ key: String) async throws(TargetError) {
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
                try await client.abortMultipart(upload.key, uploadID: upload.uploadID)
                aborted.append("unfinished upload of s3://\(client.endpoint.bucket)/\(upload.key)")
            }
            return aborted
        } catch { throw failure(error) }
    }
}
