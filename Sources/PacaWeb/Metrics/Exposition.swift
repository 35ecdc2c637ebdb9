/// The Prometheus text exposition format (version 0.0.4), written from values computed at
/// scrape time: `# HELP`, `# TYPE`, then one line per sample, families and samples in the order
/// given so that two scrapes of the same state are the same bytes.
///
/// Written here rather than with swift-prometheus: its registry keeps long-lived metric objects
/// fed by events, while pacad's metrics are a snapshot of the catalog taken per scrape; it writes
/// infinity as Swift prints it (`inf`, not `+Inf`), orders families by hash, and stops the
/// process on a bad label name.
public struct Exposition: Sendable {
    public enum Kind: String, Sendable {
        case gauge, counter
    }

    public struct Sample: Sendable {
        public var labels: [(name: String, value: String)]
        public var value: Double

        public init(_ labels: [(name: String, value: String)], _ value: Double) {
            self.labels = labels
            self.value = value
        }

        /// A sample without labels.
        public init(_ value: Double) { self.init([], value) }
    }

    struct Family: Sendable {
        var name: String
        var help: String
        var kind: Kind
        var samples: [Sample]
    }

    private var families: [Family] = []

    public init() {}

    /// Adds a family. Names and label names are pacad's own constants, checked here once more
    /// (`[a-zA-Z_:][a-zA-Z0-9_:]*`) so a typo fails the tests rather than a scrape.
    public mutating func add(_ name: String, _ kind: Kind, help: String, _ samples: [Sample]) {
        precondition(
            Self.isValidName(name) && samples.allSatisfy { $0.labels.allSatisfy { Self.isValidName($0.name) } }, "bad metric \(name)")
        families.append(Family(name: name, help: help, kind: kind, samples: samples))
    }

    /// The exposition text.
    public var text: String {
        var out = ""
        for family in families {
            out += "# HELP \(family.name) \(Self.escape(family.help, quotes: false))\n"
            out += "# TYPE \(family.name) \(family.kind.rawValue)\n"
            for sample in family.samples {
                out += family.name
                if !sample.labels.isEmpty {
                    out += "{"
                    out += sample.labels.map { "\($0.name)=\"\(Self.escape($0.value, quotes: true))\"" }.joined(separator: ",")
                    out += "}"
                }
                out += " " + Self.format(sample.value) + "\n"
            }
        }
        return out
    }

    /// The `Content-Type` of ``text``.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// `+Inf`, `-Inf`, `NaN`, whole numbers without a fraction, else Swift's shortest form.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 9.0e15 { return String(Int64(value)) }
        return "\(value)"
    }

    /// Backslash and newline escaped; in label values the double quote too.
    static func escape(_ text: String, quotes: Bool) -> String {
        var out = ""
        for character in text {
            switch character {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\"" where quotes: out += "\\\""
            default: out.append(character)
            }
        }
        return out
    }

    static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == ":"
        }
    }
}
