import Dispatch
import PacaArchive
import PacaCore
public import PacaS3
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

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

    private func failure(_ error: S3Error) -> EngineError { EngineError(.storage, "target \"\(name)\": \(error)") }

    public func beginUpload(_ key: String) async throws(EngineError) -> any ArchiveUpload {
        S3Upload(client: client, key: objectKey(key), partSize: partSize, concurrency: concurrency, target: name)
    }

    /// Multipart uploads this process has started and not yet completed or aborted: ``sweep()``
    /// never touches them, so it may run while backups go on.
    static let ownUploads = Mutex<Set<String>>([])

    public func localCopy(of key: String, scratchDirectory: String) async throws(EngineError) -> LocalArchive {
        // A folder of its own per download, so two restores of one backup never share a file;
        // the archive keeps its name so its sidecar reads as it does on the target.
        let folder = scratchDirectory + "/" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let path = folder + "/" + PathText.baseName(key)
        let fd = try await BlockingWork.run("s3-download-open") { () -> Result<Int32, EngineError> in
            Result { () throws(EngineError) -> Int32 in
                try StateFile.makeDirectories(folder, mode: 0o700)
                let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
                guard fd >= 0 else { throw EngineError(.storage, "cannot create \(path): \(String(cString: strerror(errno)))") }
                return fd
            }
        }.get()
        let written: Result<UInt64, S3Error>
        do throws(S3Error) {
            written = .success(
                try await client.download(objectKey(key)) { block, offset in
                    try await BlockingWork.run("s3-download-write") { () -> Result<Void, EngineError> in
                        Result { () throws(EngineError) in try Self.writeAll(fd, block, at: offset, path: path) }
                    }.get()
                })
        } catch {
            written = .failure(error)
        }
        let closed = await BlockingWork.run("s3-download-close") { () -> Bool in fsync(fd) == 0 && close(fd) == 0 }
        var outcome = written.mapError { failure($0) }
        if case .success = outcome {
            if !closed { outcome = .failure(EngineError(.storage, "cannot write \(path): \(String(cString: strerror(errno)))")) }
            do {
                let sidecar = try await client.get(objectKey(key) + ".sha256")
                try await BlockingWork.run("s3-sidecar") { () -> Result<Void, EngineError> in
                    Result { () throws(EngineError) in try StateFile.replace(path + ".sha256", with: sidecar) }
                }.get()
            } catch let error as S3Error where error.isNotFound {
                // No sidecar on the target: verification will say so.
            } catch let error as S3Error {
                outcome = .failure(failure(error))
            } catch {
                outcome = .failure(EngineError(.storage, "\(error)"))
            }
        }
        switch outcome {
        case .success:
            return LocalArchive(path: path, isTemporary: true)
        case .failure(let error):
            _ = await BlockingWork.run("s3-download-remove") {
                unlink(path)
                unlink(path + ".sha256")
                rmdir(folder)
            }
            throw error
        }
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], at offset: UInt64, path: String) throws(EngineError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress! + done, $0.count - done, off_t(offset) + off_t(done)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw EngineError(.storage, "cannot write \(path): \(String(cString: strerror(errno)))") }
            done += n
        }
    }

    public func list() async throws(EngineError) -> [TargetObject] {
        do {
            return try await client.list(prefix: prefix + "/").compactMap { object in
                guard object.key.hasSuffix(".zip") else { return nil }
                return TargetObject(key: String(object.key.dropFirst(prefix.count + 1)), size: object.size)
            }
        } catch { throw failure(error) }
    }

    public func read(_ key: String, range: ClosedRange<UInt64>) async throws(EngineError) -> [UInt8] {
        do { return try await client.get(objectKey(key), range: range) } catch { throw failure(error) }
    }

    public func remove(_ key: String) async throws(EngineError) {
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

    public func sweep() async throws(EngineError) -> [String] {
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

/// One archive going up to S3 from the thread that writes it. Bytes collect in a part buffer;
/// a full part is hashed on this thread, then uploaded by a task while the next fills. At most
/// `concurrency` parts are in flight: the writer waits for a free slot, so memory stays about
/// `(concurrency + 1) × partSize`. An archive that never fills one part goes up in one PUT.
///
/// Unchecked Sendable: the buffer and part list are used only by the writing thread; what the
/// upload tasks report goes through `state`, a mutex.
final class S3Upload: ArchiveUpload, @unchecked Sendable {
    private let client: S3Client
    private let key: String
    private let partSize: Int
    private let target: String
    private var buffer: [UInt8] = []
    private var uploadID: String?
    private var partsStarted = 0
    /// The archive object exists (completed or put) but its sidecar may not yet.
    private var isStored = false
    private let slots: DispatchSemaphore
    private let concurrency: Int
    private let state = Mutex(State())

    private struct State {
        var etags: [Int: String] = [:]
        var failure: S3Error?
        var inFlight = 0
    }

    init(client: S3Client, key: String, partSize: Int, concurrency: Int, target: String) {
        self.client = client
        self.key = key
        self.partSize = partSize
        self.concurrency = concurrency
        self.target = target
        slots = DispatchSemaphore(value: concurrency)
        buffer.reserveCapacity(partSize)
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(ArchiveError) {
        try throwIfFailed()
        var rest = bytes[...]
        while !rest.isEmpty {
            let take = min(rest.count, partSize - buffer.count)
            buffer += rest.prefix(take)
            rest = rest.dropFirst(take)
            if buffer.count == partSize { try sendPart() }
        }
    }

    func commit(sha256: String) throws(ArchiveError) {
        let sidecar = Array("\(sha256)  \(PathText.baseName(key))\n".utf8)
        if uploadID == nil {
            let body = buffer
            let hash = SigV4Signer.payloadHash(body)
            try wait { (client) async throws(S3Error) in try await client.put(self.key, body: body, payloadHash: hash) }
            isStored = true
        } else {
            if !buffer.isEmpty { try sendPart() }
            drain()
            try throwIfFailed()
            let etags = state.withLock { state in (1...partsStarted).map { state.etags[$0] ?? "" } }
            guard let uploadID, !etags.contains("") else { throw ArchiveError(.io, "target \"\(target)\": a part has no ETag") }
            try wait { (client) async throws(S3Error) in try await client.completeMultipart(self.key, uploadID: uploadID, etags: etags) }
            isStored = true
            _ = S3Target.ownUploads.withLock { $0.remove(uploadID) }
        }
        let hash = SigV4Signer.payloadHash(sidecar)
        try wait { (client) async throws(S3Error) in try await client.put(self.key + ".sha256", body: sidecar, payloadHash: hash) }
    }

    func abandon() {
        drain()
        if isStored {
            // The archive went up but its sidecar did not: take the archive back down, so the
            // bucket holds no archive the catalog does not list there.
            _ = try? wait { (client) async throws(S3Error) in try await client.delete(self.key) }
            return
        }
        guard let uploadID else { return }
        _ = try? wait { (client) async throws(S3Error) in try await client.abortMultipart(self.key, uploadID: uploadID) }
        _ = S3Target.ownUploads.withLock { $0.remove(uploadID) }
    }

    private func sendPart() throws(ArchiveError) {
        if uploadID == nil {
            let started = try wait { (client) async throws(S3Error) in try await client.startMultipart(self.key) }
            _ = S3Target.ownUploads.withLock { $0.insert(started) }
            uploadID = started
        }
        guard let uploadID else { return }
        let body = buffer
        buffer = []
        buffer.reserveCapacity(partSize)
        let hash = SigV4Signer.payloadHash(body)
        partsStarted += 1
        let number = partsStarted
        slots.wait()
        try throwIfFailed(releasing: true)
        state.withLock { $0.inFlight += 1 }
        let client = self.client
        let key = self.key
        Task {
            let result: Result<String, S3Error>
            do throws(S3Error) {
                result = .success(try await client.uploadPart(key, uploadID: uploadID, number: number, body: body, payloadHash: hash))
            } catch {
                result = .failure(error)
            }
            self.state.withLock { state in
                switch result {
                case .success(let etag): state.etags[number] = etag
                case .failure(let error): state.failure = state.failure ?? error
                }
                state.inFlight -= 1
            }
            self.slots.signal()
        }
    }

    /// Waits until no part is in flight.
    private func drain() {
        for _ in 0..<concurrency { slots.wait() }
        for _ in 0..<concurrency { slots.signal() }
    }

    private func throwIfFailed(releasing: Bool = false) throws(ArchiveError) {
        guard let failure = state.withLock({ $0.failure }) else { return }
        if releasing { slots.signal() }
        throw ArchiveError(.io, "target \"\(target)\": \(failure)")
    }

    /// Runs an S3 request from this (blocking) thread and waits for it.
    private func wait<T: Sendable>(_ body: @escaping @Sendable (S3Client) async throws(S3Error) -> T) throws(ArchiveError) -> T {
        let client = self.client
        do throws(S3Error) {
            return try awaitBlocking { () async throws(S3Error) -> T in try await body(client) }
        } catch {
            throw ArchiveError(.io, "target \"\(target)\": \(error)")
        }
    }
}
