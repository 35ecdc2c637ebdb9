import ArgumentParser
import PacaProtocol

/// A change to one job by name: remove, pause or resume.
protocol JobChange {
    static var method: RPCMethod<JobNameParams, Job> { get }
    static var name: String { get }
    static var abstract: String { get }
}

enum Remove: JobChange {
    static let method = Methods.jobRemove
    static let name = "remove"
    static let abstract = "Remove a job added at run time."
}

enum Pause: JobChange {
    static let method = Methods.jobPause
    static let name = "pause"
    static let abstract = "Stop a job from running until it is resumed."
}

enum Resume: JobChange {
    static let method = Methods.jobResume
    static let name = "resume"
    static let abstract = "Let a paused job run again from its next slot."
}

struct JobChangeCommand<Change: JobChange>: ParsableCommand {
    static var configuration: CommandConfiguration { CommandConfiguration(commandName: Change.name, abstract: Change.abstract) }

    @Argument(help: "The job's name.")
    var name: String

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let reply = try daemon.call(Change.method, JobNameParams(name: name))
        if daemon.json { return daemon.printResult(reply) }
        print(JobsCommand.table([reply.result]))
    }
}
