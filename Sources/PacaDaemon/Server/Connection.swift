import Logging
import NIOCore
import PacaProtocol
import PacaSystem
import ServiceLifecycle

/// One client connection: checks the peer, then reads requests and answers each, several at once
/// (so `daemon.status` is not stuck behind a backup the same client is waiting for). Replies and
/// progress notifications go out through one ``FrameWriter`` so frames never interleave.
struct Connection {
    let channel: NIOAsyncChannel<[UInt8], ByteBuffer>
    let peer: PeerCredentials
    let stall: StallWatch
    let settings: ControlServer.Settings
    let router: MethodRouter
    let logger: Logger

    func serve() async {
        var logger = self.logger
        logger[metadataKey: "peer.uid"] = "\(peer.uid)"
        logger[metadataKey: "peer.pid"] = "\(peer.pid)"
        let underlying = channel.channel
        do {
            try await channel.executeThenClose { inbound, outbound in
                let writer = FrameWriter(outbound: outbound, limit: settings.requestsPerConnection)
                let caller = Caller(
                    uid: peer.uid, gid: peer.gid, groups: peer.supplementaryGroups, pid: peer.pid,
                    executable: ProcessFacts.executable(of: peer.pid), command: ProcessFacts.commandName(of: peer.pid))
                let policy = await currentPolicy()
                let isAllowed = policy.role(of: caller) != nil
                try await withThrowingTaskGroup(of: Void.self) { group in
                    // A partial frame that stalls ends the connection, whatever the requests are doing.
                    group.addTask {
                        await stall.waitForStall()
                        if !Task.isCancelled { underlying.close(promise: nil) }
                    }
                    // So does sitting idle: no request in flight for the idle timeout.
                    let idleLogger = logger
                    group.addTask {
                        await writer.waitForIdle(settings.idleTimeout, on: settings.clock)
                        guard !Task.isCancelled else { return }
                        idleLogger.debug("closing an idle connection")
                        underlying.close(promise: nil)
                    }
                    defer { group.cancelAll() }
                    do {
                        if isAllowed {
                            try await serveRequests(inbound, writer: writer, caller: caller)
                        } else {
                            logger.warning("refused a client without permission")
                            try await refuse(inbound, writer: writer, policy: policy, caller: caller)
                        }
                    } catch let error as FrameError {
                        logger.debug("closing a connection after a bad frame", metadata: ["error": "\(error)"])
                        await writer.send(.error(id: .null, RPCError(.frameTooLarge, "\(error); closing the connection")))
                    }
                }
            }
        } catch {
            logger.debug("connection ended with an error", metadata: ["error": "\(error)"])
        }
    }

    /// Answers a connection over `limits.connections` with `busy` and closes it, reading nothing.
    static func turnAway(_ channel: NIOAsyncChannel<[UInt8], ByteBuffer>, open: Int, logger: Logger) async {
        logger.warning("turned a connection away: \(open) are open (limits.connections)")
        let error = RPCError(.busy, "pacad has \(open) connections open, its limit (limits.connections); try again shortly")
        try? await channel.executeThenClose { _, outbound in
            try await outbound.write(ByteBuffer(bytes: Frame.encode(RPCResponse.error(id: .null, error).encoded)))
        }
    }

    /// The access rules of the configuration in force (a reload may change them).
    private func currentPolicy() async -> AccessPolicy {
        AccessPolicy(
            config: await router.context.configuration.config, ownUID: settings.policy.ownUID, groupID: settings.policy.groupID)
    }

    private func serveRequests(_ inbound: NIOAsyncChannelInboundStream<[UInt8]>, writer: FrameWriter, caller: Caller) async throws {
        try await withThrowingDiscardingTaskGroup { group in
            for try await payload in inbound.cancelOnGracefulShutdown() {
                let request: RPCRequest
                switch RPCRequest.decode(payload) {
                case .failure(let failure):
                    await writer.send(.error(id: failure.id, failure.error))
                    continue
                case .success(let decoded):
                    request = decoded
                }
                guard await writer.beginRequest() else {
                    await writer.send(
                        .error(
                            id: request.id ?? .null,
                            RPCError(.busy, "more than \(settings.requestsPerConnection) requests in flight on this connection")))
                    continue
                }
                group.addTask {
                    let id = request.id ?? .null
                    let policy = await currentPolicy()
                    let answer = await router.respond(to: request, caller: caller, policy: policy) { value in
                        await writer.send(.progress(requestID: id, value))
                    }
                    if request.id != nil { await writer.send(answer.response, attaching: answer.attachment) }
                    await writer.endRequest()
                }
            }
        }
    }

    /// Answers the first request of a peer that may not use the daemon with a permission error,
    /// then closes: the client learns why, and nothing else is read. A peer that sends nothing is
    /// closed after the stall timeout, so strangers cannot hold connections open.
    private func refuse(
        _ inbound: NIOAsyncChannelInboundStream<[UInt8]>, writer: FrameWriter, policy: AccessPolicy, caller: Caller
    ) async throws {
        let started = SystemTime.monotonic()
        let timeout = settings.stallTimeout
        let clock = settings.clock
        let first = try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
            group.addTask {
                for try await payload in inbound { return payload }
                return nil
            }
            group.addTask {
                try await clock.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
        var entry = AuditEntry(
            caller: caller, executable: caller.executable, method: nil, params: nil, outcome: .denied,
            code: RPCErrorCode.permissionDenied.rawValue, milliseconds: 0)
        defer {
            entry.milliseconds = (SystemTime.monotonic() - started) * 1000
            let (audit, logged) = (router.context.audit, entry)
            logger.notice("refused a connection", metadata: ["peer.uid": "\(caller.uid)", "rpc.method": "\(logged.method ?? "-")"])
            Task { await audit.record(logged) }
        }
        guard let payload = first else { return }
        let id: RPCID
        switch RPCRequest.decode(payload) {
        case .success(let request):
            id = request.id ?? .null
            entry.method = request.method
            entry.params = request.params
        case .failure(let failure):
            id = failure.id
        }
        let message =
            policy.access == nil
            ? "uid \(peer.uid) may not use this daemon: only root, uid \(policy.ownUID)"
                + (policy.groupID.map { " and members of group \($0)" } ?? "") + " may"
            : "uid \(peer.uid) may not use this daemon: it has no role in the configuration's access"
        await writer.send(.error(id: id, RPCError(.permissionDenied, message)))
    }
}

/// Writes whole frames to one connection, one at a time, and counts its requests in flight.
actor FrameWriter {
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private let limit: Int
    private var inFlight = 0

    init(outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, limit: Int) {
        self.outbound = outbound
        self.limit = limit
    }

    /// Writes `response`, then `attachment` (if any) as a raw frame right after it: nothing
    /// else can come between them, since this actor writes one message at a time.
    func send(_ response: RPCResponse, attaching attachment: [UInt8]? = nil) async {
        var encoded = response.encoded
        if encoded.count > Frame.defaultMaximumSize, case .result(let id, _) = response {
            // The client would refuse the frame and lose the connection: say why instead.
            let error = RPCError(
                .frameTooLarge,
                "the answer is \(encoded.count) bytes, over the \(Frame.defaultMaximumSize)-byte frame limit; ask for less (limit, offset, a narrower filter)"
            )
            encoded = RPCResponse.error(id: id, error).encoded
        }
        var buffer = ByteBuffer()
        buffer.reserveCapacity(8 + encoded.count + (attachment?.count ?? 0))
        buffer.writeBytes(Frame.header(encoded.count))
        buffer.writeBytes(encoded)
        if let attachment {
            buffer.writeBytes(Frame.header(attachment.count))
            buffer.writeBytes(attachment)
        }
        try? await outbound.write(buffer)
    }

    func beginRequest() -> Bool {
        guard inFlight < limit else { return false }
        inFlight += 1
        return true
    }

    func endRequest() {
        inFlight -= 1
        idleSince = nil
        if inFlight == 0 { idle.wake() }
    }

    /// When the connection last had no request in flight (uptime); nil until the idle watch looks.
    private var idleSince: Duration?
    private let idle = Alarm()

    /// The idle watch's view: how long the connection has had nothing in flight, or nil when
    /// something is (or when it just ended, so the count starts again).
    private func idleFor(at now: Duration) -> Duration? {
        guard inFlight == 0 else {
            idleSince = nil
            return nil
        }
        let since = idleSince ?? now
        idleSince = since
        return now - since
    }

    /// Returns when the connection has had no request in flight for `timeout`, or when cancelled.
    nonisolated func waitForIdle(_ timeout: Duration, on clock: ServiceClock) async {
        while !Task.isCancelled {
            let now = clock.uptime
            guard let idleFor = await idleFor(at: now) else {
                await idle.sleep(for: timeout, on: clock)  // until the requests in flight end
                continue
            }
            if idleFor >= timeout { return }
            await idle.sleep(until: now + timeout - idleFor, on: clock)
        }
    }
}
