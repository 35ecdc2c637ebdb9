import PacaProtocol

extension MethodRouter {
    /// `web.login`: a one-time address that signs the caller in to the dashboard.
    func webLogin() async throws(RPCError) -> WebLogin {
        guard let sessions = context.web, let endpoint = await sessions.endpoint else {
            throw RPCError(
                .validationError,
                "pacad serves no dashboard: add http: {listen: \"127.0.0.1:9180\"} to its configuration and restart it")
        }
        let (token, expiresAt) = await sessions.mintToken(for: caller)
        var login = WebLogin()
        login.url = "\(endpoint.scheme)://\(endpoint.authority ?? "localhost")/login?token=\(token)"
        login.expiresAt = Timestamp(unixSeconds: Int64(expiresAt))
        login.socket = endpoint.socketPath
        return login
    }
}
