/// A failed S3 request, in words a person can act on. Never carries credentials or signatures:
/// only the method, the object, the HTTP status and S3's own error code and message.
public struct S3Error: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The endpoint could not be reached (refused, unresolvable, timed out, reset).
        case connection
        /// The server answered with an error status.
        case http(status: Int)
        /// The server's answer could not be understood.
        case protocolViolation
    }

    public var kind: Kind
    /// S3's error code (`NoSuchBucket`, `SignatureDoesNotMatch`, `InvalidAccessKeyId`, ...), when it sent one.
    public var code: String?
    public var message: String
    /// What was being done: `PUT bucket/key`.
    public var operation: String

    public init(_ kind: Kind, code: String? = nil, message: String, operation: String) {
        self.kind = kind
        self.code = code
        self.message = message
        self.operation = operation
    }

    /// Worth another attempt: connection failures, 5xx, throttling.
    public var isRetryable: Bool {
        switch kind {
        case .connection: return true
        case .http(let status): return status >= 500 || status == 429 || code == "SlowDown" || code == "RequestTimeout"
        case .protocolViolation: return false
        }
    }

    public var isNotFound: Bool {
        if case .http(404) = kind { return true }
        return code == "NoSuchKey" || code == "NoSuchUpload"
    }

    public var description: String {
        var text = "\(operation): "
        switch kind {
        case .connection: text += "cannot reach the endpoint: "
        case .http(let status): text += "HTTP \(status)" + (code.map { " \($0)" } ?? "") + ": "
        case .protocolViolation: text += "unexpected answer: "
        }
        text += message
        if let hint { text += " (\(hint))" }
        return text
    }

    /// What usually causes this error.
    private var hint: String? {
        switch code {
        case "InvalidAccessKeyId": "the access key is not known to this endpoint: check the credentials"
        case "SignatureDoesNotMatch": "the secret key does not match the access key: check the credentials"
        case "AccessDenied": "these credentials may not do this in this bucket"
        case "NoSuchBucket": "create the bucket or fix the bucket name"
        case "AuthorizationHeaderMalformed": "check the target's region"
        case "RequestTimeTooSkewed": "this machine's clock is too far off"
        default: nil
        }
    }
}
