import Dispatch
import Synchronization

/// Runs `body` as a task and blocks the calling thread until it ends. Only for threads outside
/// Swift's cooperative pool (the archive writer's, ``BlockingWork``'s), where synchronous code
/// (an ``ArchiveSink``, an ``ArchiveByteSource``) has to wait for an S3 request.
func awaitBlocking<T: Sendable, E: Error>(_ body: @escaping @Sendable () async throws(E) -> T) throws(E) -> T {
    let done = DispatchSemaphore(value: 0)
    let result = Mutex<Result<T, E>?>(nil)
    Task {
        let outcome: Result<T, E>
        do throws(E) { outcome = .success(try await body()) } catch { outcome = .failure(error) }
        result.withLock { $0 = outcome }
        done.signal()
    }
    done.wait()
    return try result.withLock { $0 }!.get()
}
