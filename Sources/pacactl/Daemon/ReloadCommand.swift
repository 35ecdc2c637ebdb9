import PacaCore
import ArgumentParser
import PacaProtocol

struct ReloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload", abstract: "Make pacad read its config file again (like SIGHUP); a bad file changes nothing.",
        discussion: "Exits 1 and lists every problem when the file is unusable.")

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let result = try daemon.call("daemon.reload")
        if daemon.json { return daemon.printResult(result) }
        let names = { (key: String) in (result[key]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ") }
        print("reloaded \(result.text("file"))")
        print("  sets: \(names("sets"))")
        print("  targets: \(names("targets"))")
        if !names("jobs").isEmpty { print("  jobs: \(names("jobs"))") }
        let restart = names("restart_required")
        if !restart.isEmpty { print("  changed but needs a restart to take effect: \(restart)") }
    }
}
