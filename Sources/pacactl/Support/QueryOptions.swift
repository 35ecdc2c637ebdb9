import ArgumentParser
import PacaCore

/// `--where`, `--sort`, `--limit` and `--offset`, shared by `backup list` and `data query`.
struct QueryOptions: ParsableArguments {
    @Option(name: .customLong("where"), help: #"A filter, e.g. 'set = "training" and bytes_in > 1GB' (see docs/data.md)."#)
    var filter: String?

    @Option(help: "Sort by a field, ascending; FIELD:desc for descending (e.g. finished_at:desc).")
    var sort: String?

    @Option(help: "At most N results.")
    var limit: Int?

    @Option(help: "Skip the first N results.")
    var offset: Int?

    var isQuery: Bool { filter != nil || sort != nil || offset != nil }

    func validate() throws {
        if let limit, !(1...100_000).contains(limit) { throw ValidationError("--limit must be 1-100000") }
        if let offset, offset < 0 { throw ValidationError("--offset must not be negative") }
        if let sort, sort.hasSuffix(":"), sort.count == 1 { throw ValidationError("--sort needs a field name") }
        if let filter { _ = try Self.parse(filter) }
    }

    /// The params `backup.list` and `data.query` take.
    func params() throws -> [String: JSONValue] {
        var params: [String: JSONValue] = [:]
        if let filter { params["filter"] = try Self.parse(filter).json }
        if let sort {
            var field = Substring(sort)
            var order = "asc"
            for suffix in [":desc", ":asc"] where field.hasSuffix(suffix) {
                field = field.dropLast(suffix.count)
                order = String(suffix.dropFirst())
            }
            params["sort_by"] = .string(String(field))
            params["sort_order"] = .string(order)
        }
        if let limit { params["limit"] = .int(Int64(limit)) }
        if let offset { params["offset"] = .int(Int64(offset)) }
        return params
    }

    /// The text form parsed, or a usage error that shows where it went wrong.
    static func parse(_ text: String) throws -> Filter {
        do {
            return try QueryText.parse(text)
        } catch {
            let column = max(1, error.column ?? 1)
            throw ValidationError("--where: \(error.description)\n  \(text)\n  \(String(repeating: " ", count: column - 1))^")
        }
    }
}
