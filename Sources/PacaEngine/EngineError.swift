public import PacaCatalog
public import PacaTargets

/// An error from the backup engine: a stable ``Code`` the control server maps to a wire error
/// code, a message for people that names what it is about (a backup id, a set, a path), and the
/// error underneath (the catalog's, a target's, the archive's, a system call's) for programs.
/// Messages never carry file contents or secrets.
public struct EngineError: Error, Sendable, CustomStringConvertible, Equatable {
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
    /// What failed underneath, when the engine did not decide this itself.
    public let underlying: (any Error)?

    public init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    /// The engine's error for a catalog error, keeping it underneath.
    public init(_ error: CatalogError) {
        let code: Code =
            switch error.code {
            case .notFound: .notFound
            case .invalidQuery: .validation
            case .storage: .storage
            }
        self.init(code, error.message, underlying: error)
    }

    /// The engine's error for a target error, keeping it underneath.
    public init(_ error: TargetError) {
        self.init(error.code == .validation ? .validation : .storage, error.message, underlying: error)
    }

    public var description: String { message }

    /// Equal code and message (the underlying error is detail).
    public static func == (a: EngineError, b: EngineError) -> Bool { a.code == b.code && a.message == b.message }
}

extension BackupRecord {
    /// The key of this backup's archive on every target (`.zip.age` when sealed).
    var storedKey: String { archiveKey(set: set, id: id, sealed: sealed) }
}
