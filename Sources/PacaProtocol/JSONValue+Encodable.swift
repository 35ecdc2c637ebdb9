public import PacaCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension JSONValue {
    /// The JSON form of an `Encodable` value (a result struct), through `JSONEncoder`.
    public init(encoding value: some Encodable) throws {
        self = try JSONValue.parse(Array(try JSONEncoder().encode(value)))
    }
}
