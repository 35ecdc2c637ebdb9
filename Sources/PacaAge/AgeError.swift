/// Why an age file or key could not be used. Messages name what is wrong and never carry key
/// material: a recipient may be named, an identity or a file key never is.
public struct AgeError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The header does not parse (not age v1, a malformed stanza, a recipient stanza of the
        /// wrong shape): the file is not an age file, or it was damaged.
        case header
        /// The header parsed, but no identity given opens any of its recipient stanzas.
        case noMatch
        /// A stanza opened, but the header's MAC does not match: the header was changed.
        case headerMAC
        /// The encrypted payload does not decrypt: damaged, truncated or extended.
        case payload
        /// A recipient (`age1…`), an identity (`AGE-SECRET-KEY-1…`) or a passphrase that cannot be used.
        case key
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
