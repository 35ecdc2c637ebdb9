import Foundation
import Logging
public import PacaClient
import PacaConfig
public import PacaDaemon
public import PacaProtocol
import PacaSystem
import Testing

/// pacad running inside the test process on a ``ManualClock``: the real services, socket and
/// client, with time that passes only when the test advances it. For what depends on time: job
/// schedules, quiet periods, backup ids that sort by the second, timeouts.
public final class InProcessDaemon: DaemonFolder, @unchecked Sendable {
    public let clock: ManualClock

    public init(_ label: String = #function, wall: String = "2026-11-27T02:00:30Z", extraConfig: String = "") throws {
        clock = ManualClock(wall: wall)
        try super.init(label, extraConfig: extraConfig)
    }

    /// Runs pacactl against this daemon, on a thread of its own: the daemon answers from the
    /// cooperative pool, which a blocked test thread would take from it.
    public func pacactl(_ arguments: [String]) async throws -> Output {
        let command = [Binaries.pacactl] + arguments + ["--socket", socket]
        return try await SystemThread.run { Result { try PacaTestSupport.run(command) } }.get()
    }

    /// Calls `method` through the client library (off the cooperative pool) and returns its result.
    public func call<Params: Sendable, Result: Sendable>(_ method: RPCMethod<Params, Result>, _ params: Params = Params()) async throws
        -> Result
    {
        try await client.call(method, params)
    }

    /// A client of this daemon.
    public var client: PacaClient { PacaClient(socket: socket) }

    /// Starts the daemon on the config written so far, runs `body` while it serves, then stops it
    /// the way SIGTERM would (running backups are cancelled at once: the stop's grace period is zero).
    public func run<T>(
        stallTimeout: Duration = .seconds(10), isolation: isolated (any Actor)? = #isolation, _ body: (Daemon) async throws -> T
    ) async throws -> T {
        let config = try ConfigLoader.load(file: configPath)
        var options = Daemon.Options()
        options.clock = clock.serviceClock
        options.handlesSignals = false
        options.stopTimeout = .zero
        options.stallTimeout = stallTimeout
        let daemon = try await Daemon(config: config, configFile: configPath, logger: quietLogger, options: options)
        return try await withThrowingTaskGroup(of: Void.self, returning: T.self) { group in
            group.addTask { try await daemon.run() }
            await eventually("the daemon to listen") { (try? await self.client.call(Methods.daemonStatus)) != nil }
            do {
                let result = try await body(daemon)
                await daemon.stop()
                try await group.waitForAll()
                return result
            } catch {
                await daemon.stop()
                try? await group.waitForAll()
                throw error
            }
        }
    }
}
