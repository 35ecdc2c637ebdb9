extension DaemonConfig {
    /// `http:`: pacad also serves the dashboard and `/metrics` over HTTP. Off unless configured.
    ///
    /// Only a loopback address or a Unix socket unless `allow_remote: true`, which needs `tls`
    /// and the names browsers use (`hosts`): Host and Origin headers are checked against these,
    /// so a page elsewhere cannot reach the dashboard through DNS rebinding or a cross-site form.
    public struct HTTP: Sendable, Equatable {
        public enum Listen: Sendable, Equatable, CustomStringConvertible {
            /// An IP address (or `localhost`) and port, as written: `127.0.0.1:9180`, `[::1]:9180`.
            case tcp(host: String, port: Int)
            /// A Unix socket at an absolute path.
            case unix(path: String)

            public var description: String {
                switch self {
                case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
                case .unix(let path): path
                }
            }

            /// True for a loopback address or a Unix socket: only this machine reaches it.
            public var isLocal: Bool {
                switch self {
                case .unix: true
                case .tcp(let host, _): host == "localhost" || host == "::1" || host.hasPrefix("127.")
                }
            }
        }

        /// A certificate chain and its private key, PEM files (`tls.certificate`, `tls.key`).
        public struct TLS: Sendable, Equatable {
            public var certificate: String
            public var key: String

            public init(certificate: String, key: String) {
                self.certificate = certificate
                self.key = key
            }
        }

        public var listen: Listen
        /// Listen on an address other hosts reach (`allow_remote`); needs ``tls`` and ``hosts``.
        public var allowRemote = false
        public var tls: TLS?
        /// `host[:port]` names browsers may use besides the listen address (`hosts`).
        public var hosts: [String] = []
        /// Seconds a dashboard login lasts (`session`, default 8h).
        public var sessionLifetime: Int64 = 8 * 3600

        public init(listen: Listen) { self.listen = listen }

        /// The `Host` header values a request may carry: the listen address, `localhost` for a
        /// loopback one, and ``hosts``. Empty for a Unix socket, where any Host is accepted
        /// (no browser reaches a Unix socket except through a proxy the operator set up).
        /// `boundPort` is the port the server got (for a `:0` listen); nil: the configured one.
        public func acceptedHosts(boundPort: Int? = nil) -> Set<String> {
            var names = Set(hosts.map { $0.lowercased() })
            guard case .tcp(let host, let configured) = listen else { return names }
            let port = boundPort ?? configured
            names.insert(Listen.tcp(host: host, port: port).description.lowercased())
            if listen.isLocal {
                for name in ["localhost", "127.0.0.1", "[::1]"] { names.insert("\(name):\(port)") }
            }
            if (tls == nil && port == 80) || (tls != nil && port == 443) { names.insert(host.lowercased()) }
            return names
        }

        /// `http` or `https`.
        public var scheme: String { tls == nil ? "http" : "https" }
    }
}
