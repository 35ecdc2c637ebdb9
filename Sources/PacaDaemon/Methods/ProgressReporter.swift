import PacaCore
import PacaEngine
import PacaProtocol
import PacaSystem

/// Sends `progress` notifications for a long request while it runs: at once, then every quarter second when the
/// numbers changed, and only when the request asked for them (`"progress": true`). The reporter is a child
/// task that ends before the reply is sent, so every notification goes out before the reply.
enum ProgressReporter {
    static let interval = Duration.milliseconds(250)

    static func run<T: Sendable>(
        enabled: Bool, clock: ServiceClock, read: @escaping @Sendable () async -> Progress?, send: @escaping MethodRouter.ProgressSink,
        _ body: @Sendable () async throws(RPCError) -> T
    ) async throws(RPCError) -> T {
        guard enabled else { return try await body() }
        let result = await withTaskGroup(of: Void.self) { group in
            group.addTask {
                var last: Progress?
                // The first report goes out at once, so even a short operation shows where it starts.
                while !Task.isCancelled {
                    if let value = await read(), value != last {
                        last = value
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
