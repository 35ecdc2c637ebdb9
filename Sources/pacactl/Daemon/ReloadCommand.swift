import ArgumentParser
import PacaProtocol

struct ReloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload", abstract: "Make pacad read its config file again (like SIGHUP); a bad file changes nothing.",
        discussion: "Exits 1 and lists every problem when the file is unusable.")

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let reply = try daemon.call(Methods.daemonReload)
        if daemon.json { return daemon.printResult(reply) }
        let result = reply.result
        print("reloaded \(result.file)")
        print("  sets: \(result.sets.joined(separator: ", "))")
        print("  targets: \(result.targets.joined(separator: ", "))")
        if !result.jobs.isEmpty { print("  jobs: \(result.jobs.joined(separator: ", "))") }
        if !result.restartRequired.isEmpty {
            print("  changed but needs a restart to take effect: \(result.restartRequired.joined(separator: ", "))")
        }
    }
}
