/// Whether a request may reach pacad's HTTP routes at all, from its Host and Origin headers.
///
/// - Host must be one of the dashboard's own names (``acceptedHosts``): a page on another site
///   whose name was re-pointed at 127.0.0.1 (DNS rebinding) sends its own name and is refused.
/// - Origin, when sent, must be this dashboard's; a request that changes something (anything
///   but GET and HEAD) must send it. With the SameSite=Strict session cookie, a form on another
///   site cannot act as the signed-in user (CSRF).
///
/// On a Unix socket ``acceptedHosts`` is empty and any Host is taken: no browser reaches it
/// except through a proxy the operator set up. Origin is then held to the Host sent.
public struct RequestCheck: Sendable, Equatable {
    /// Lowercase `host:port` values.
    public var acceptedHosts: Set<String>
    /// `http` or `https`.
    public var scheme: String

    public init(acceptedHosts: Set<String>, scheme: String) {
        self.acceptedHosts = acceptedHosts
        self.scheme = scheme
    }

    public enum Refusal: Sendable, Equatable, CustomStringConvertible {
        case missingHost
        case foreignHost(String)
        case foreignOrigin(String)
        case missingOrigin

        public var description: String {
            switch self {
            case .missingHost: "the request names no Host"
            case .foreignHost(let host): "Host \"\(host)\" is not this dashboard's address"
            case .foreignOrigin(let origin): "Origin \"\(origin)\" is not this dashboard"
            case .missingOrigin: "a request that changes something must come from the dashboard's own pages (no Origin header)"
            }
        }
    }

    /// Nil when the request may go on; else why not.
    public func refusal(method: String, host: String?, origin: String?) -> Refusal? {
        let sentHost = host?.lowercased()
        if !acceptedHosts.isEmpty {
            guard let sentHost, !sentHost.isEmpty else { return .missingHost }
            guard acceptedHosts.contains(sentHost) else { return .foreignHost(String(sentHost.prefix(200))) }
        }
        let isSafe = method == "GET" || method == "HEAD"
        guard let origin else { return isSafe ? nil : .missingOrigin }
        let allowed = sentHost.map { Set([$0]) } ?? acceptedHosts
        let matches = allowed.contains { "\(scheme)://\($0)" == origin.lowercased() }
        return matches ? nil : .foreignOrigin(String(origin.prefix(200)))
    }
}
