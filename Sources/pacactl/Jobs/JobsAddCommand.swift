import ArgumentParser
import PacaProtocol

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
        let params = JobAddParams(name: name, set: set, cron: cron, every: every, jitter: jitter, catchUp: !noCatchUp)
        let reply = try daemon.call(Methods.jobAdd, params)
        if daemon.json { return daemon.printResult(reply) }
        print(JobsCommand.table([reply.result]))
    }
}
