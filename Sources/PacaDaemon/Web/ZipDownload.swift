import Hummingbird
import PacaArchive
import PacaEngine
import PacaSystem
import Synchronization

/// Bytes handed from the thread that writes a download's ZIP to the HTTP response, at most
/// ``depth`` blocks ahead of what the client has taken: a slow browser slows the writer, never
/// fills memory. When the response ends early (the client went away), the writer's next block
/// throws and the download stops.
final class ChunkPipe: AsyncSequence, ArchiveSink, @unchecked Sendable {
    typealias Element = ByteBuffer
    static let depth = 4

    // Guarded by `lock`.
    private let lock = ConditionLock()
    private var queue: [ByteBuffer] = []
    private var isFinished = false
    private var failure: (any Error)?
    private var isAbandoned = false
    private var waiter: CheckedContinuation<ByteBuffer?, any Error>?

    /// Called by the writing thread; blocks while the client is ``depth`` blocks behind.
    func write(_ bytes: UnsafeRawBufferPointer) throws(ArchiveError) {
        let buffer = ByteBuffer(bytes: bytes)
        lock.lock()
        while queue.count >= Self.depth && !isAbandoned { lock.wait() }
        guard !isAbandoned else {
            lock.unlock()
            throw ArchiveError(.cancelled, "the browser stopped the download")
        }
        if let waiting = waiter {
            waiter = nil
            lock.unlock()
            waiting.resume(returning: buffer)
            return
        }
        queue.append(buffer)
        lock.unlock()
    }

    /// Ends the body: cleanly, or with `error` (the client sees a cut-off download).
    func finish(_ error: (any Error)? = nil) {
        lock.lock()
        isFinished = true
        failure = error
        let waiting = waiter
        waiter = nil
        lock.unlock()
        if let error { waiting?.resume(throwing: error) } else { waiting?.resume(returning: nil) }
    }

    fileprivate func next() async throws -> ByteBuffer? {
        try await withCheckedThrowingContinuation { continuation in
            lock.lock()
            if !queue.isEmpty {
                let first = queue.removeFirst()
                lock.signal()
                lock.unlock()
                continuation.resume(returning: first)
            } else if isFinished {
                let error = failure
                lock.unlock()
                if let error { continuation.resume(throwing: error) } else { continuation.resume(returning: nil) }
            } else {
                waiter = continuation
                lock.unlock()
            }
        }
    }

    fileprivate func abandon() {
        lock.withLock {
            isAbandoned = true
            lock.signal()
        }
    }

    final class AsyncIterator: AsyncIteratorProtocol {
        let pipe: ChunkPipe
        init(pipe: ChunkPipe) { self.pipe = pipe }
        func next() async throws -> ByteBuffer? { try await pipe.next() }
        deinit { pipe.abandon() }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(pipe: self) }
}

/// One archive of a caller's restore session, read through the engine in blocks of 1 MiB (so
/// the session's spans decide what is served, exactly as for `pacactl restore`).
final class SessionArchive: BlockByteSource {
    let engine: BackupEngine
    let session: String
    let backup: String
    let caller: UInt32
    let size: UInt64
    var name: String { "backup \(backup)" }
    static let blockSize: UInt64 = 1 << 20
    private let kept = Mutex<[(index: UInt64, bytes: [UInt8])]>([])

    init(engine: BackupEngine, session: String, backup: String, caller: UInt32, size: UInt64) {
        self.engine = engine
        self.session = session
        self.backup = backup
        self.caller = caller
        self.size = size
    }

    func block(_ index: UInt64) throws(ArchiveError) -> [UInt8] {
        if let bytes = kept.withLock({ $0.first { $0.index == index }?.bytes }) { return bytes }
        let (engine, session, backup, caller) = (self.engine, self.session, self.backup, self.caller)
        let outcome = awaitBlocking { () async -> Result<[UInt8], EngineError> in
            do throws(EngineError) {
                return .success(
                    try await engine.readRestore(
                        session, backup: backup, offset: index * Self.blockSize, length: Int(Self.blockSize), caller: caller))
            } catch {
                return .failure(error)
            }
        }
        switch outcome {
        case .success(let bytes):
            kept.withLock { kept in
                if kept.count >= 8 { kept.removeFirst() }
                kept.append((index, bytes))
            }
            return bytes
        case .failure(let error): throw ArchiveError(.io, "reading backup \(backup): \(error.message)")
        }
    }
}
