import ArgumentParser
import PacaProtocol

struct JobsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "List, add, remove, pause, resume and run scheduled backups.",
        subcommands: [
            JobsListCommand.self, JobsAddCommand.self, JobChangeCommand<Remove>.self, JobChangeCommand<Pause>.self,
            JobChangeCommand<Resume>.self, JobsRunCommand.self,
        ]
    )

    /// One line per job.
    static func table(_ jobs: [Job]) -> String {
        var table = Table("JOB", "SET", "SCHEDULE", "NEXT", "LAST BACKUP", "STATE")
        for job in jobs {
            let state = job.paused ? "paused" : job.running ? "running" : "waiting"
            table.add(job.name, job.set, job.schedule, job.nextDue?.text ?? "-", job.lastBackup ?? "-", state)
        }
        return table.render()
    }
}

struct JobsListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the jobs and when each runs next.")

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let reply = try daemon.call(Methods.jobList)
        if daemon.json { return daemon.printResult(reply) }
        print(JobsCommand.table(reply.result.jobs))
    }
}
