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

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
