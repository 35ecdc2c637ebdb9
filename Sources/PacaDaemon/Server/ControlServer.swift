public import Logging
import NIOCore
import NIOPosix
public import PacaProtocol
public import PacaSystem
public import ServiceLifecycle
import Synchronization

/// The control socket: accepts connections on a Unix stream socket, checks each peer's credentials,
/// and answers framed JSON-RPC requests through a ``MethodRouter``. One child task per connection
/// in a discarding task group; a connection's error never stops the server. On graceful shutdown it
/// stops accepting, and open connections end when their requests do.
public struct ControlServer: Service {
    public struct Settings: Sendable {
        public var socketPath: String
        public var policy: AccessPolicy
        /// Group ownership for the socket file (`socket_group`), when configured.
        public var socketGroupID: UInt32?
        public var maximumFrameSize: Int
        /// How long a partial frame may sit without new bytes before the connection is closed.
        public var stallTimeout: Duration
        /// Requests one connection may have in flight at once.
        public var requestsPerConnection: Int
        /// Connections served at once (`limits.connections`); one more is answered `busy` and closed.
        public var maximumConnections = 256
        /// How long a connection may sit with no request in flight (`limits.idle_timeout`).
        public var idleTimeout: Duration = .seconds(600)
        /// The clock the server's timeouts run on.
        public var clock: ServiceClock
        /// A listening socket systemd passed (`pacad.socket`): served as it is, its file and mode
        /// left to systemd. Nil: pacad binds `socketPath` itself.
        public var activatedSocket: Int32?

        public init(
            socketPath: String, policy: AccessPolicy, socketGroupID: UInt32?, maximumFrameSize: Int = Frame.defaultMaximumSize,
            stallTimeout: Duration = .seconds(10), requestsPerConnection: Int = 32, clock: ServiceClock = .system
        ) {
            self.clock = clock
            self.socketPath = socketPath
            self.policy = policy
            self.socketGroupID = socketGroupID
            self.maximumFrameSize = maximumFrameSize
            self.stallTimeout = stallTimeout
            self.requestsPerConnection = requestsPerConnection
        }
    }

    let settings: Settings
    let router: MethodRouter
    let logger: Logger
    let onListening: @Sendable () async -> Void

    public init(settings: Settings, router: MethodRouter, logger: Logger, onListening: @escaping @Sendable () async -> Void) {
        self.settings = settings
        self.router = router
        self.logger = logger
        self.onListening = onListening
    }

    public func run() async throws {
        let maximumSize = settings.maximumFrameSize
        let (clock, stallTimeout) = (settings.clock, settings.stallTimeout)
        let accept: @Sendable (any Channel) -> EventLoopFuture<AcceptedConnection> = { channel in
            PeerCredentials.of(channel).flatMap { peer in
                channel.eventLoop.makeCompletedFuture {
                    let stall = StallWatch(clock: clock, timeout: stallTimeout)
                    try channel.pipeline.syncOperations.addHandler(FrameHandler(maximumSize: maximumSize, watch: stall))
                    let wrapped = try NIOAsyncChannel<[UInt8], ByteBuffer>(wrappingChannelSynchronously: channel)
                    return AcceptedConnection(wrapped, peer: peer, stall: stall)
                }
            }
        }
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).serverChannelOption(.backlog, value: 512)
        let server: NIOAsyncChannel<AcceptedConnection, Never>
        if let activated = settings.activatedSocket {
            // systemd made the socket (pacad.socket) and owns its file, mode and group.
            server = try await bootstrap.bind(activated, childChannelInitializer: accept)
            logger.info("listening on the socket systemd passed", metadata: ["socket.path": "\(settings.socketPath)"])
        } else {
            try SocketFile.prepare(settings.socketPath)
            // Bound under a temporary name, given its mode and group, then renamed into place: no
            // client ever sees the socket with the wrong permissions.
            let staging = SocketFile.stagingPath(for: settings.socketPath)
            server = try await bootstrap.bind(
                unixDomainSocketPath: staging, cleanupExistingSocketFile: true, childChannelInitializer: accept)
            try SocketFile.restrict(staging, groupID: settings.socketGroupID)
            try SocketFile.move(staging, to: settings.socketPath)
            logger.info("listening", metadata: ["socket.path": "\(settings.socketPath)"])
        }
        await onListening()
        let ownsFile = settings.activatedSocket == nil
        defer { if ownsFile { SocketFile.remove(settings.socketPath) } }

        let open = ConnectionCount()
        let maximum = settings.maximumConnections
        try await withThrowingDiscardingTaskGroup { group in
            try await server.executeThenClose { connections in
                for try await accepted in connections.cancelOnGracefulShutdown() {
                    guard let connection = accepted.take() else { continue }
                    let (peer, stall) = (accepted.peer, accepted.stall)
                    guard open.value.add(1, ordering: .relaxed).newValue <= maximum else {
                        group.addTask {
                            defer { open.value.subtract(1, ordering: .relaxed) }
                            await Connection.turnAway(connection, open: maximum, logger: logger)
                        }
                        continue
                    }
                    group.addTask {
                        defer { open.value.subtract(1, ordering: .relaxed) }
                        await Connection(channel: connection, peer: peer, stall: stall, settings: settings, router: router, logger: logger)
                            .serve()
                    }
                }
            }
        }
    }
}

/// The connections being served, shared by their tasks.
final class ConnectionCount: Sendable {
    let value = Atomic(0)
}
