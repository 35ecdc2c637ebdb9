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

    /// The query `backup.list` and `data.query` take: the filter in its structured form, the
    /// sort field and order, the page.
    func query() throws -> (filter: Filter?, sortBy: String?, order: SortOrder?, limit: Int64?, offset: Int64?) {
        var sortBy: String?
        var order: SortOrder?
        if let sort {
            var field = Substring(sort)
            order = .asc
            for suffix in [":desc", ":asc"] where field.hasSuffix(suffix) {
                field = field.dropLast(suffix.count)
                order = suffix == ":desc" ? .desc : .asc
            }
            sortBy = String(field)
        }
        return (try filter.map(Self.parse), sortBy, order, limit.map(Int64.init), offset.map(Int64.init))
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
