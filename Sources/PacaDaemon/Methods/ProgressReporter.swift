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
        enabled: Bool, clock: ServiceClock, read: @escaping @Sendable () async -> JSONValue?, send: @escaping MethodRouter.ProgressSink,
        _ body: @Sendable () async throws(RPCError) -> T
    ) async throws(RPCError) -> T {
        guard enabled else { return try await body() }
        let result = await withTaskGroup(of: Void.self) { group in
            group.addTask {
                var last: JSONValue?
                // The first report goes out at once, so even a short operation shows where it starts.
                while !Task.isCancelled {
                    if let value = await read(), value != last {
                        last = value
                        await send(value)
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

    /// The progress object of docs/protocol.md.
    static func json(_ snapshot: RunProgress.Snapshot, id: String?, phase: String) -> JSONValue {
        var members: [String: JSONValue] = [
            "phase": .string(phase), "files": .int(Int64(snapshot.files)), "bytes": .int(Int64(snapshot.bytes)),
            "total_bytes": .int(Int64(snapshot.totalBytes)), "total_files": .int(Int64(snapshot.totalFiles)),
        ]
        members["percent"] = snapshot.percent.map { .int(Int64($0)) } ?? .null
        if let id { members["backup"] = .string(id) }
        return .object(members)
    }
}
