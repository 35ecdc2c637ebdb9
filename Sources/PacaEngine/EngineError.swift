/// An error from the backup engine or its catalog: a stable ``Code`` the control server maps to a
/// wire error code, and a message for people that names what it is about (a backup id, a set, a
/// path). Messages never carry file contents or secrets.
public struct EngineError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Codable {
        /// The backup or set named does not exist.
        case notFound = "not_found"
        /// The operation conflicts with one running (deleting a backup that is being restored).
        case busy
        /// Reading or writing a target or the state directory failed.
        case storage
        /// The request is well-formed but cannot be done as asked (a restore destination that is a file).
        case validation
        /// The operation was cancelled (the daemon is stopping).
        case cancelled
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
