/// `web.login`: where to open the dashboard as the caller.
public struct WebLogin: WireObject, Equatable {
    public var url = ""
    public var expiresAt = Timestamp(unixSeconds: 0)
    public var socket: String?
    public init() {}
    public static let fields: [WireField<WebLogin>] = [
        .required(
            "url", \.url,
            "The dashboard's login address with a one-time token: whoever opens it first is signed in as the caller, with the caller's role."
        ),
        .required("expires_at", \.expiresAt, "The token is refused after this (two minutes), and once used."),
        .optional("socket", \.socket, "When pacad serves HTTP on a Unix socket: its path (the url's host is then only a placeholder)."),
    ]
}
