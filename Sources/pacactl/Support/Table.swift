import PacaCore
import PacaProtocol

/// Left-aligned columns separated by two spaces, for the human-readable output.
struct Table {
    let headers: [String]
    private var rows: [[String]] = []

    init(_ headers: String...) {
        self.headers = headers
    }

    mutating func add(_ cells: String...) {
        rows.append(cells)
    }

    func render() -> String {
        let all = [headers] + rows
        let widths = headers.indices.map { column in all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}

extension JSONValue {
    var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    var intValue: Int64? {
        switch self {
        case .int(let value): value
        case .double(let value): Int64(value)
        default: nil
        }
    }

    var doubleValue: Double? {
        switch self {
        case .int(let value): Double(value)
        case .double(let value): value
        default: nil
        }
    }

    var arrayValue: [JSONValue] {
        if case .array(let items) = self { return items }
        return []
    }

    /// `key` as display text: strings as they are, numbers in decimal, null as "-".
    func text(_ key: String) -> String {
        switch self[key] {
        case .string(let value)?: value
        case .int(let value)?: String(value)
        case .double(let value)?: String(value)
        case .bool(let value)?: String(value)
        default: "-"
        }
    }

    func bytes(_ key: String) -> String {
        self[key]?.intValue.map { ByteCount.format(UInt64(max(0, $0))) } ?? "-"
    }
}
