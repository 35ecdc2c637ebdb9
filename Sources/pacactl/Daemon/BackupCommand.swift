import ArgumentParser

struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Make, list, inspect, verify, pin and delete backups through pacad.",
        subcommands: [
            BackupNowCommand.self, BackupListCommand.self, BackupShowCommand.self, BackupVerifyCommand.self, BackupDeleteCommand.self,
            BackupPinCommand.self,
        ]
    )
}
