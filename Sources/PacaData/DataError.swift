import PacaSystem

/// Why a record store refused or failed an operation. Messages name what is wrong and never
/// carry record data beyond the id.
public struct DataError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// No record with that id, or no store with that name.
        case notFound
        /// The caller's version is not the record's: someone else updated it first.
        case conflict
        /// Bad input: data of the wrong type, a bad query, a read-only store.
        case invalid
        /// The storage underneath failed (disk, database).
        case storage
    }

    public var code: Code
    public var message: String
    /// What failed underneath (a ``SystemError``, a GRDB error), when the store did not decide
    /// this itself. Its text is already part of ``message``.
    public var underlying: (any Error)?

    public init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    /// A storage error caused by a failed system call.
    init(_ error: SystemError) {
        self.init(.storage, error.description, underlying: error)
    }

    public var description: String { message }

    /// Equal code and message (the underlying error is detail).
    public static func == (a: DataError, b: DataError) -> Bool { a.code == b.code && a.message == b.message }
}
