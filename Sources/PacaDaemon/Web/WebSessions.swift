public import PacaConfig
import PacaCore
public import PacaSystem
public import PacaWeb

/// Who is signed in to the dashboard. `web.login` mints a one-time login token for a socket
/// caller; the browser trades it at `/login` for a session, held in an HttpOnly cookie. A session
/// carries the caller it was made for, and its role is worked out again on every request from
/// the configuration of the moment, so taking someone out of `access` takes effect at once.
///
/// Tokens and session ids are 256 random bits, kept only in memory (a restart signs everyone
/// out), never logged. Both are bounded: the oldest go when more pile up.
public actor WebSessions {
    public struct Session: Sendable {
        public var caller: Caller
        /// Unix seconds.
        public var expiresAt: Double
    }

    /// Where the HTTP server listens, once it does (the port a `:0` listen got).
    public struct Endpoint: Sendable, Equatable {
        public var scheme: String
        /// `host:port` for a browser, or nil on a Unix socket.
        public var authority: String?
        public var socketPath: String?
    }

    /// How long a login token is good for.
    public static let tokenLifetime: Double = 120
    static let maximumTokens = 256
    static let maximumSessions = 1024

    private let clock: ServiceClock
    private let sessionLifetime: Double
    private var tokens: [String: Session] = [:]
    private var sessions: [String: Session] = [:]
    /// What the next page of a session says about the action just taken.
    private var notices: [String: Notice] = [:]
    public private(set) var endpoint: Endpoint?
    /// The Host and Origin check for the address the server got; nil until it listens.
    public private(set) var requestCheck: RequestCheck?

    public init(http: DaemonConfig.HTTP, clock: ServiceClock) {
        self.clock = clock
        sessionLifetime = Double(http.sessionLifetime)
    }

    public func setEndpoint(_ endpoint: Endpoint, check: RequestCheck) {
        self.endpoint = endpoint
        requestCheck = check
    }

    /// A new one-time login token for `caller`, and when it expires.
    public func mintToken(for caller: Caller) -> (token: String, expiresAt: Double) {
        let now = clock.now()
        sweep(now)
        if tokens.count >= Self.maximumTokens, let oldest = tokens.min(by: { $0.value.expiresAt < $1.value.expiresAt })?.key {
            tokens[oldest] = nil
        }
        let token = Self.secret()
        let expiresAt = now + Self.tokenLifetime
        tokens[token] = Session(caller: caller, expiresAt: expiresAt)
        return (token, expiresAt)
    }

    /// Trades a login token (once) for a new session: its id and what it holds. Nil for a token
    /// that is unknown, used or expired.
    public func redeem(_ token: String) -> (id: String, session: Session)? {
        let now = clock.now()
        sweep(now)
        guard let login = tokens.removeValue(forKey: token) else { return nil }
        if sessions.count >= Self.maximumSessions, let oldest = sessions.min(by: { $0.value.expiresAt < $1.value.expiresAt })?.key {
            sessions[oldest] = nil
        }
        let id = Self.secret()
        let session = Session(caller: login.caller, expiresAt: now + sessionLifetime)
        sessions[id] = session
        return (id, session)
    }

    /// The live session with `id`.
    public func session(_ id: String) -> Session? {
        guard let session = sessions[id] else { return nil }
        guard session.expiresAt > clock.now() else {
            sessions[id] = nil
            return nil
        }
        return session
    }

    public func end(_ id: String) {
        sessions[id] = nil
        notices[id] = nil
    }

    /// Shows `notice` on the session's next page.
    public func setNotice(_ notice: Notice, for id: String) {
        guard sessions[id] != nil else { return }
        notices[id] = notice
    }

    /// The notice waiting for the session's next page, once.
    public func takeNotice(_ id: String) -> Notice? { notices.removeValue(forKey: id) }

    private func sweep(_ now: Double) {
        tokens = tokens.filter { $0.value.expiresAt > now }
        sessions = sessions.filter { $0.value.expiresAt > now }
        notices = notices.filter { sessions[$0.key] != nil }
    }

    /// 32 bytes from the system's CSPRNG (getrandom), as hex.
    static func secret() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }.hexString
    }
}
