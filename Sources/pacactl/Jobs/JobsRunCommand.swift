import ArgumentParser
import PacaProtocol

struct JobsRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run a job's backup now and wait for it.")

    @Argument(help: "The job's name.")
    var name: String

    @Flag(name: .customLong("no-wait"), help: "Return once the backup has started or been queued.")
    var noWait = false

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let params = JobRunParams(name: name, wait: !noWait, progress: !noWait)
        let reply = try daemon.call(Methods.jobRun, params, progressLabel: noWait ? nil : "backing up")
        if daemon.json { return daemon.printResult(reply) }
        switch reply.result {
        case .admitted(let admission): print("job \(name): backup of \(admission.set) \(admission.status.rawValue)")
        case .finished(let backup): BackupSummary.print(backup)
        }
    }
}
