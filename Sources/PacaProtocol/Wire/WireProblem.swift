/// Why a JSON value is not the value the contract expects, and where inside it: the member path
/// from the outermost object in (`["include"]`, `["deliveries", "0", "status"]`).
public struct WireProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        /// A value of the wrong JSON type: `expected` in words ("a string"), `found` the type it had.
        case mistyped(expected: String, found: String)
        /// A member that must be there is not (or is null).
        case missing
        /// A string that must not be empty is.
        case empty
        case outOfRange(value: Int64, range: ClosedRange<Int64>)
        /// A string that must be one of a fixed list is not.
        case notOneOf(value: String, options: [String])
        /// A value whose own rules refuse it (a filter), with where inside it, when known.
        case invalid(String, at: String?)
        /// Members the object does not take; `accepted` lists the ones it does.
        case unknownMember(String, accepted: [String])
    }

    public var path: [String]
    public var reason: Reason

    public init(_ reason: Reason, at path: [String] = []) {
        self.reason = reason
        self.path = path
    }

    /// The same problem one level further out, inside member `name`.
    public func within(_ name: String) -> WireProblem { WireProblem(reason, at: [name] + path) }

    /// `backup.verify.deliveries[0].status`-style location, for messages.
    public var location: String {
        path.reduce("") { text, part in
            part.allSatisfy(\.isNumber) ? text + "[\(part)]" : (text.isEmpty ? part : text + "." + part)
        }
    }

    public var description: String {
        let place = location.isEmpty ? "the value" : location
        switch reason {
        case .mistyped(let expected, let found): return "\(place) must be \(expected), not a \(found)"
        case .missing: return "\(place) is missing"
        case .empty: return "\(place) is empty"
        case .outOfRange(let value, let range): return "\(place) is \(value), outside \(range.lowerBound)-\(range.upperBound)"
        case .notOneOf(let value, let options): return "\(place) \"\(value)\" is not one of \(options.joined(separator: ", "))"
        case .invalid(let message, _): return message
        case .unknownMember(let name, let accepted): return "unknown member \"\(name)\" (expected \(accepted.joined(separator: ", ")))"
        }
    }
}
