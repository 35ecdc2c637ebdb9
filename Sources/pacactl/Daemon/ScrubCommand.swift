import ArgumentParser
import PacaClient
import PacaProtocol

struct ScrubCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scrub",
        abstract: "Read back every copy on the targets now and check it against the catalog (admins).",
        discussion: """
            A damaged or missing copy is marked failed and copied again from a good copy on another target; a backup with no good \
            copy left is marked damaged, and `pacactl status` lists the files it lost. Scheduled passes run on their own \
            (scrub_every, scrub_rate in the configuration); this runs a whole pass now, at the target's scrub_rate and idle I/O \
            priority. Exit status 1 when a pass found damage it could not repair.
            """)

    @Option(help: "Only this target (default: every target, one after another).")
    var target: String?

    @Flag(help: "Wait for the pass to end and show what it found.")
    var wait = false

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        // A pass can take hours; pacad sends heartbeats meanwhile, so --timeout still catches a hung daemon.
        let reply = try daemon.call(Methods.scrubRun, ScrubRunParams(target: target, wait: wait, progress: wait))
        if daemon.json { return daemon.printResult(reply) }
        guard wait else {
            print(
                "scrub started on \(reply.result.started.joined(separator: ", ")); pacactl status shows how old the oldest unverified copy is"
            )
            return
        }
        var unrepaired = 0
        for report in reply.result.reports {
            print(
                "\(report.target): \(report.verified.count) good, \(report.damaged.count) damaged, \(report.repaired.count) repaired, \(report.lost.count) lost, \(report.skipped.count) skipped; \(ByteCount.format(report.bytes)) read in \(report.seconds) s"
            )
            for finding in report.damaged {
                let fate = report.repaired.contains(finding.id) ? "repaired" : report.lost.contains(finding.id) ? "LOST" : "to be repaired"
                print("  DAMAGED \(finding.id) (\(fate)): \(finding.problem)")
            }
            for finding in report.skipped { print("  skipped \(finding.id): \(finding.problem)") }
            unrepaired += report.damaged.filter { !report.repaired.contains($0.id) }.count
        }
        if unrepaired > 0 { throw ExitStatus.failed.exitCode }
    }
}
