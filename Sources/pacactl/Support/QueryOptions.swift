import ArgumentParser
import PacaCore
import PacaProtocol

/// Reads a paged answer to the end: pacad answers at most ``Page/size`` items a call with
/// `next_offset` when more match. Calls `page` with each page's limit and offset until there are
/// `wanted` items (all when nil) or no next page.
func allPages<Item>(wanted: Int?, offset: Int64?, _ page: (_ limit: Int64?, _ offset: Int64?) throws -> (items: [Item], next: Int64?))
    throws -> [Item]
{
    var items: [Item] = []
    var offset = offset
    while true {
        let limit = wanted.map { Int64(min($0 - items.count, Int(Page.size))) }
        let (found, next) = try page(limit, offset)
        items += found
        guard let next, wanted.map({ items.count < $0 }) ?? true else { return items }
        offset = next
    }
}

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
