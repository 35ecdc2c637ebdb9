/// One thing wrong with a configuration: where (dotted key path and line) and what.
public struct ConfigProblem: Sendable, Equatable, CustomStringConvertible {
    /// The key path, e.g. `sets.training.paths[1]`; empty for the document itself.
    public var key: String
    /// 1-based line in the file, when known.
    public var line: Int?
    public var message: String

    public init(key: String, line: Int?, message: String) {
        self.key = key
        self.line = line
        self.message = message
    }

    public var description: String {
        let place = [line.map { "line \($0)" }, key.isEmpty ? nil : key].compactMap { $0 }.joined(separator: ", ")
        return place.isEmpty ? message : "\(place): \(message)"
    }
}

/// A configuration that cannot be used, with every problem found (not just the first).
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file the configuration came from, when there is one.
    public var file: String?
    public var problems: [ConfigProblem]

    public init(file: String?, problems: [ConfigProblem]) {
        self.file = file
        self.problems = problems
    }

    public var description: String {
        let head = file.map { "\($0): " } ?? ""
        if problems.count == 1 { return head + problems[0].description }
        return head + "\(problems.count) problems:\n" + problems.map { "  " + $0.description }.joined(separator: "\n")
    }
}
