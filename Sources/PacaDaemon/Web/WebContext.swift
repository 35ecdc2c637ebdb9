import HTTPTypes
import Hummingbird
import PacaProtocol
import PacaSystem
import PacaWeb

/// What a dashboard request carries past the guard: who is signed in, when someone is.
struct WebContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    var signedIn: SignedIn?

    init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
    }

    /// The request's session, its caller and the role that caller has now.
    struct SignedIn: Sendable {
        var sessionID: String
        var caller: Caller
        var viewer: Viewer
    }

    /// The signed-in viewer, or a 401 page that says how to sign in.
    func requireSignIn() throws(WebFailure) -> SignedIn {
        guard let signedIn else { throw WebFailure.signInNeeded }
        return signedIn
    }
}

/// Every request passes here first: the Host and Origin checks, the session cookie read, and the
/// headers that keep pages from being framed, sniffed, cached or leaking their address.
struct WebGuard: RouterMiddleware {
    typealias Context = WebContext
    let sessions: WebSessions
    let roles: @Sendable (Caller) async -> Role?

    static let cookieName = "paca_session"

    func handle(_ request: Request, context: WebContext, next: (Request, WebContext) async throws -> Response) async throws -> Response {
        var response: Response
        guard let check = await sessions.requestCheck else { return WebFailure.refused("pacad is still starting").response }
        if let refusal = check.refusal(
            method: request.method.rawValue, host: request.head.authority, origin: request.headers[.origin])
        {
            response = WebFailure.refused(refusal.description).response
        } else {
            var context = context
            if let id = request.cookies[Self.cookieName]?.value, let session = await sessions.session(id),
                let role = await roles(session.caller)
            {
                let name = ProcessFacts.userName(of: session.caller.uid) ?? "uid \(session.caller.uid)"
                context.signedIn = WebContext.SignedIn(sessionID: id, caller: session.caller, viewer: Viewer(name: name, role: role))
            }
            do { response = try await next(request, context) } catch let failure as WebFailure {
                response = failure.response
            }
        }
        response.headers[HTTPField.Name("Content-Security-Policy")!] =
            "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        response.headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        return response
    }
}
