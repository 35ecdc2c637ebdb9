/// Why a target could not do what was asked: a stable ``Code``, a message that names the target
/// and what it was doing, and the error underneath (a ``SystemError``, an S3 error, an archive
/// error). Never carries credentials.
public struct TargetError: Error, Sendable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        /// Reading or writing the target failed, or it is not there (unmounted, unreachable).
        case storage
        /// The target's settings cannot work (no credentials, a bad endpoint).
        case validation
        /// The target answered, and the archive asked for is not on it.
        case missing
    }

    public let code: Code
    public let message: String
    public let underlying: (any Error)?

    public init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String { message }
}
