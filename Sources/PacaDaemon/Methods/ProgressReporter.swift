import PacaCore
import PacaEngine
import PacaProtocol
import PacaSystem

/// Sends `progress` notifications for a long request while it runs: at once, then every quarter second when the
/// numbers changed and every ``heartbeat`` when they did not, and only when the request asked for them (`"progress": true`). The reporter is a child
/// task that ends before the reply is sent, so every notification goes out before the reply.
enum ProgressReporter {
    static let interval = Duration.milliseconds(250)
    /// The longest a client asking for progress goes without a notification.
    static let heartbeat = Duration.seconds(5)

    static func run<T: Sendable>(
        enabled: Bool, clock: ServiceClock, read: @escaping @Sendable () async -> Progress?, send: @escaping MethodRouter.ProgressSink,
        _ body: @Sendable () async throws(RPCError) -> T
    ) async throws(RPCError) -> T {
        guard enabled else { return try await body() }
        // The first report goes out before the work starts, so even a short operation shows
        // where it starts and every caller that asked gets at least one.
        let first = await read()
        if let first { await send(first.wire) }
        let startedAt = clock.uptime
        let result = await withTaskGroup(of: Void.self) { group in
            group.addTask {
                var last = first
                var sentAt = startedAt
                while !Task.isCancelled {
                    // An unchanged report goes out again after the heartbeat: a backup waiting
                    // its turn is still alive, and clients that time out on silence know it.
                    if let value = await read(), value != last || clock.uptime - sentAt >= heartbeat {
                        last = value
                        sentAt = clock.uptime
                        await send(value.wire)
                    }
                    try? await clock.sleep(for: interval)
                }
            }
            let result = await Result { () async throws(RPCError) -> T in try await body() }
            group.cancelAll()
            await group.waitForAll()
            return result
        }
        return try result.get()
    }
}
