import Hummingbird
import PacaProtocol
import PacaWeb

/// Why a dashboard request ends without its page: each becomes a page with its status code.
enum WebFailure: Error {
    /// No session, or it expired, or its caller lost every role.
    case signInNeeded
    /// A used or expired login token.
    case badToken
    /// The Host or Origin check failed.
    case refused(String)
    case notFound(String)
    case badRequest(String)
    /// What pacad's method answered.
    case rpc(RPCError)

    var status: HTTPResponse.Status {
        switch self {
        case .signInNeeded, .badToken: .unauthorized
        case .refused: .forbidden
        case .notFound: .notFound
        case .badRequest: .badRequest
        case .rpc(let error):
            switch RPCErrorCode(rawValue: error.code) {
            case .permissionDenied?: .forbidden
            case .notFound?: .notFound
            case .invalidParams?, .validationError?: .badRequest
            case .busy?: .conflict
            default: .internalServerError
            }
        }
    }

    var message: String {
        switch self {
        case .signInNeeded:
            "You are not signed in. On the machine pacad runs on, run pacactl web url and open the address it prints."
        case .badToken: "This sign-in address was used already or has expired. Run pacactl web url again for a new one."
        case .refused(let why): "Refused: \(why)."
        case .notFound(let what): what
        case .badRequest(let why): why
        case .rpc(let error): error.message
        }
    }

    var response: Response {
        let title = status == .unauthorized ? "Sign in" : "\(status.code) \(status.reasonPhrase)"
        return WebPage.html(Layout.page(title, section: nil, viewer: nil, body: "<p class=\"notice bad\">\(message)</p>"), status: status)
    }
}

/// Responses the routes send.
enum WebPage {
    static func html(_ page: HTML, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: page.text)))
    }

    static func text(_ text: String, contentType: String, cache: String? = nil) -> Response {
        var headers: HTTPFields = [.contentType: contentType]
        if let cache { headers[.cacheControl] = cache }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// 303 to `location` (after a form, so that reloading does not send it again).
    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }
}
