import ArgumentParser

/// `pacactl archive ...`: work on archive files directly, no daemon needed.
struct ArchiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive",
        abstract: "Create, list, verify and extract pacad archives without a daemon.",
        subcommands: [ArchiveCreateCommand.self, ArchiveListCommand.self, ArchiveVerifyCommand.self, ArchiveExtractCommand.self]
    )
}

/// Flags every archive subcommand shares.
struct ArchiveOutputOptions: ParsableArguments {
    @Flag(help: "Print the result as one JSON object on standard output, for scripts.")
    var json = false
}
