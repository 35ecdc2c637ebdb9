public import PacaEngine

/// Runs `engine` (its ``BackupEngine/run()`` loop, which the daemon's engine service runs) while
/// `body` runs, then stops it, cancelling what is still running.
public func withRunning<T>(
    _ engine: BackupEngine, isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: Void.self, returning: T.self) { group in
        group.addTask { await engine.run() }
        do {
            let result = try await body()
            await engine.stop(grace: .zero)
            return result
        } catch {
            await engine.stop(grace: .zero)
            throw error
        }
    }
}

/// Runs `work` as a child task while `body` runs, then cancels it and waits for it to end: for a
/// service loop (a scheduler, a trigger) a test drives.
public func withBackground<T>(
    _ work: @escaping @Sendable () async -> Void, isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: Void.self, returning: T.self) { group in
        group.addTask { await work() }
        defer { group.cancelAll() }
        return try await body()
    }
}
