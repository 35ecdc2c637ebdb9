import Dispatch
import PacaArchive
import PacaS3
import PacaSystem
import Synchronization

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
    private let journal: UploadJournal?
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

    init(client: S3Client, key: String, partSize: Int, concurrency: Int, target: String, journal: UploadJournal? = nil) {
        self.journal = journal
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
            journal?.ended(uploadID)
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
        journal?.ended(uploadID)
    }

    private func sendPart() throws(ArchiveError) {
        if uploadID == nil {
            let started = try wait { (client) async throws(S3Error) in try await client.startMultipart(self.key) }
            _ = S3Target.ownUploads.withLock { $0.insert(started) }
            uploadID = started
            // Recorded before any part goes up, so a killed daemon's upload is found at the next start.
            do throws(SystemError) { try journal?.started(started, key: key) } catch {
                throw ArchiveError(.io, "target \"\(target)\": cannot record the upload in \(journal?.path ?? ""): \(error)")
            }
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
