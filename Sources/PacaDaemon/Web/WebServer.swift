import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import PacaConfig
import PacaProtocol
import PacaSystem
import PacaWeb
import ServiceLifecycle

/// pacad's HTTP side (`http:`): `/metrics` for Prometheus and the dashboard, served by
/// Hummingbird in the daemon's own ServiceGroup. Every dashboard action goes through the same
/// ``MethodRouter`` as the socket, as the signed-in caller: the same roles, set limits, bounds
/// and audit log.
struct WebServer: Sendable {
    let http: DaemonConfig.HTTP
    /// Connections served at once and their idle timeout (`limits:`), as for the socket.
    let limits: DaemonConfig.Limits
    let daemon: DaemonContext
    let router: MethodRouter
    let sessions: WebSessions
    let metricsCache: MetricsCache
    let ownUID: UInt32
    let groupID: UInt32?
    let logger: Logger

    /// The access policy of the configuration now in force.
    func policy() async -> AccessPolicy {
        AccessPolicy(config: await daemon.configuration.config, ownUID: ownUID, groupID: groupID)
    }

    /// The Hummingbird application, a `Service` for the daemon's group.
    func application() throws(Daemon.LaunchError) -> any Service {
        let routes = Router(context: WebContext.self)
        let sessions = self.sessions
        let server = self
        routes.add(middleware: WebGuard(sessions: sessions, roles: { caller in await server.policy().role(of: caller) }))
        addRoutes(to: routes)
        let address: BindAddress
        switch http.listen {
        case .tcp(let host, let port): address = .hostname(host == "localhost" ? "127.0.0.1" : host, port: port)
        case .unix(let path):
            do { try SocketFile.prepare(path) } catch { throw Daemon.LaunchError(description: "http.listen: \(error.description)") }
            address = .unixDomainSocket(path: path)
        }
        let channel = HTTP1Channel.Configuration(idleTimeout: .seconds(limits.idleTimeout))
        let builder: HTTPServerBuilder
        if let tls = http.tls {
            do {
                let chain = try NIOSSLCertificate.fromPEMFile(tls.certificate).map { NIOSSLCertificateSource.certificate($0) }
                let key = try NIOSSLPrivateKey(file: tls.key, format: .pem)
                builder = try .tls(
                    .http1(configuration: channel),
                    tlsConfiguration: .makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key)))
            } catch {
                throw Daemon.LaunchError(
                    description: "http.tls: cannot use \(tls.certificate) and \(tls.key) (\(error)); they must be PEM files pacad can read",
                    underlying: error)
            }
        } else {
            builder = .http1(configuration: channel)
        }
        let http = self.http
        let logger = self.logger
        let groupID = self.groupID
        return Application(
            router: routes, server: builder,
            configuration: ApplicationConfiguration(
                address: address, serverName: nil, availableConnectionsDelegate: MaximumAvailableConnections(limits.connections)),
            onServerRunning: { channel in
                var endpoint = WebSessions.Endpoint(scheme: http.scheme, authority: nil, socketPath: nil)
                let port = channel.localAddress?.port
                switch http.listen {
                case .unix(let path):
                    try? SocketFile.restrict(path, groupID: groupID)
                    endpoint.socketPath = path
                case .tcp(let host, let configured):
                    endpoint.authority =
                        http.allowRemote ? http.hosts.first : DaemonConfig.HTTP.Listen.tcp(host: host, port: port ?? configured).description
                }
                let check = RequestCheck(acceptedHosts: http.acceptedHosts(boundPort: port), scheme: http.scheme)
                await sessions.setEndpoint(endpoint, check: check)
                logger.info("dashboard and metrics served", metadata: ["http.listen": "\(endpoint.authority ?? endpoint.socketPath ?? "")"])
            }, logger: logger)
    }

    /// Calls `method` as the signed-in caller, through the router (roles, audit) like the socket.
    func call<Params, Result>(_ method: RPCMethod<Params, Result>, _ params: Params, as signedIn: WebContext.SignedIn)
        async throws(WebFailure)
        -> Result
    {
        // The audit log names the dashboard, not the pacactl that asked for the sign-in address.
        var caller = signedIn.caller
        caller.command = "dashboard"
        caller.executable = nil
        caller.pid = 0
        let answer = await router.respond(to: method.request(params, id: .number(1)), caller: caller, policy: await policy()) { _ in }
        switch answer.response {
        case .result(_, let value):
            do { return try Result(wire: value) } catch {
                throw .rpc(RPCError(.internalError, "\(method.name) answered what its result type does not read: \(error)"))
            }
        case .error(_, let error): throw .rpc(error)
        case .progress: throw .rpc(RPCError(.internalError, "\(method.name) answered with a progress notification"))
        }
    }
}
