import ArgumentParser
import PacaProtocol

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
        let reply = try daemon.call(Methods.eventsList, EventsListParams(job: job, limit: Int64(limit)))
        if daemon.json { return daemon.printResult(reply) }
        var table = Table("TIME", "JOB", "EVENT", "BACKUP", "DETAIL")
        for event in reply.result.events {
            table.add(event.time.text, event.job, event.kind.rawValue, event.backup ?? "-", event.detail ?? "")
        }
        print(table.render())
    }
}
