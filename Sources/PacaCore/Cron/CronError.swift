/// Why a cron expression was refused: the field, the token and what was expected, e.g.
/// `minute field: "61" is out of range 0-59`.
public struct CronError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `minute`, `hour`, `day-of-month`, `month`, `day-of-week`, or nil for the expression as a whole.
    public var field: String?
    /// The piece of text at fault.
    public var token: String
    public var reason: String

    public init(field: String?, token: String, reason: String) {
        self.field = field
        self.token = token
        self.reason = reason
    }

    public var description: String {
        let place = field.map { "\($0) field: " } ?? ""
        return token.isEmpty ? place + reason : "\(place)\"\(token)\" \(reason)"
    }
}
