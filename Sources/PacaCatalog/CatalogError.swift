/// Why the catalog could not be read or written: a stable ``Code`` and a message that names the
/// backup or the file, with the store's or the system's error underneath.
public struct CatalogError: Error, Sendable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        /// No backup with that id.
        case notFound
        /// A filter or sort the catalog's store refuses.
        case invalidQuery
        /// The catalog's files could not be read or written.
        case storage
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
