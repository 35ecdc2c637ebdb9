import ArgumentParser
import PacaClient
import PacaSystem

/// `pacactl`: the command-line client of pacad. The `archive` commands work on archive files
/// directly, with no daemon, for the day the machine that ran the daemon is gone.
@main
struct Pacactl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pacactl",
        abstract: "Control pacad and work with its backup archives.",
        discussion: """
            Exit status: 0 success, 1 the operation failed, 2 usage error, 3 daemon unreachable, 4 not found, 5 not permitted.
            """,
        subcommands: [
            StatusCommand.self, ReloadCommand.self, BackupCommand.self, PruneCommand.self, CatalogCommand.self, TargetCommand.self,
            ScrubCommand.self,
            RestoreCommand.self, CheckpointCommand.self,
            TriggerCommand.self, JobsCommand.self,
            EventsCommand.self, DataCommand.self, AuditCommand.self,
            WebCommand.self, CronCommand.self, ArchiveCommand.self, KeyCommand.self,
        ]
    )

    /// Like ArgumentParser's `main`, but a usage error exits with 2 (the documented contract) rather than 64.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                StandardStreams.writeError(fullMessage(for: error) + "\n")
                exit(withError: ExitStatus.usage.exitCode)
            }
            exit(withError: error)
        }
    }
}
