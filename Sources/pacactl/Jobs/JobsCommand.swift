import PacaCore
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
    static func table(_ jobs: [JSONValue]) -> String {
        var table = Table("JOB", "SET", "SCHEDULE", "NEXT", "LAST BACKUP", "STATE")
        for job in jobs {
            let state = job["paused"] == .bool(true) ? "paused" : job["running"] == .bool(true) ? "running" : "waiting"
            table.add(job.text("name"), job.text("set"), job.text("schedule"), job.text("next_due"), job.text("last_backup"), state)
        }
        return table.render()
    }
}

struct JobsListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the jobs and when each runs next.")

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let result = try daemon.call("job.list")
        if daemon.json { return daemon.printResult(result) }
        print(JobsCommand.table(result["jobs"]?.arrayValue ?? []))
    }
}

struct JobsAddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Add a job at run time (kept across restarts until removed).",
        discussion: "Give --cron or --every. Jobs in the config file are changed by editing it and reloading.")

    @Argument(help: "The job's name (a-z, 0-9, '-', '_').")
    var name: String

    @Option(help: "A cron expression, e.g. \"0 2 * * *\".")
    var cron: String?

    @Option(help: "An interval, e.g. 6h.")
    var every: String?

    @Option(help: "The set to back up (needed when several are configured).")
    var set: String?

    @Option(help: "Largest random delay added to each run, e.g. 5m.")
    var jitter: String?

    @Flag(name: .customLong("no-catch-up"), help: "Skip runs missed while pacad was down instead of running once at start.")
    var noCatchUp = false

    @OptionGroup var daemon: DaemonOptions

    func validate() throws {
        if (cron == nil) == (every == nil) { throw ValidationError("give exactly one of --cron and --every") }
    }

    func run() throws {
        var params: [String: JSONValue] = ["name": .string(name), "catch_up": .bool(!noCatchUp)]
        if let cron { params["cron"] = .string(cron) }
        if let every { params["every"] = .string(every) }
        if let set { params["set"] = .string(set) }
        if let jitter { params["jitter"] = .string(jitter) }
        let result = try daemon.call("job.add", params)
        if daemon.json { return daemon.printResult(result) }
        print(JobsCommand.table([result]))
    }
}

protocol JobChange {
    static var method: String { get }
    static var name: String { get }
    static var abstract: String { get }
}

enum Remove: JobChange {
    static let method = "job.remove"
    static let name = "remove"
    static let abstract = "Remove a job added at run time."
}

enum Pause: JobChange {
    static let method = "job.pause"
    static let name = "pause"
    static let abstract = "Stop a job from running until it is resumed."
}

enum Resume: JobChange {
    static let method = "job.resume"
    static let name = "resume"
    static let abstract = "Let a paused job run again from its next slot."
}

struct JobChangeCommand<Change: JobChange>: ParsableCommand {
    static var configuration: CommandConfiguration { CommandConfiguration(commandName: Change.name, abstract: Change.abstract) }

    @Argument(help: "The job's name.")
    var name: String

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let result = try daemon.call(Change.method, ["name": .string(name)])
        if daemon.json { return daemon.printResult(result) }
        print(JobsCommand.table([result]))
    }
}

struct JobsRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run a job's backup now and wait for it.")

    @Argument(help: "The job's name.")
    var name: String

    @Flag(name: .customLong("no-wait"), help: "Return once the backup has started or been queued.")
    var noWait = false

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let result = try daemon.call(
            "job.run", ["name": .string(name), "wait": .bool(!noWait)], progressLabel: noWait ? nil : "backing up")
        if daemon.json { return daemon.printResult(result) }
        if noWait { return print("job \(name): backup of \(result.text("set")) \(result.text("status"))") }
        BackupShowCommand.summary(result)
    }
}

struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: "Show the schedule's history: fired, caught up, skipped, completed, failed.")

    @Option(help: "Only this job's events.")
    var job: String?

    @Option(help: "The newest N events (1-1000).")
    var limit: Int = 50

    @OptionGroup var daemon: DaemonOptions

    func validate() throws {
        guard (1...1000).contains(limit) else { throw ValidationError("--limit must be 1-1000") }
    }

    func run() throws {
        var params: [String: JSONValue] = ["limit": .int(Int64(limit))]
        if let job { params["job"] = .string(job) }
        let result = try daemon.call("events.list", params)
        if daemon.json { return daemon.printResult(result) }
        var table = Table("TIME", "JOB", "EVENT", "BACKUP", "DETAIL")
        for event in result["events"]?.arrayValue ?? [] {
            table.add(event.text("time"), event.text("job"), event.text("kind"), event.text("backup"), event["detail"]?.stringValue ?? "")
        }
        print(table.render())
    }
}
