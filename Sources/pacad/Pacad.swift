import ArgumentParser
import Logging
import PacaConfig
import PacaDaemon
import PacaEngine
import PacaProtocol
import PacaSystem

/// `pacad`: the backup daemon. Runs in the foreground (systemd's `Type=notify`), on a config file
/// or, without one, on the embedded default under `./.paca/`.
@main
struct Pacad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pacad",
        abstract: "The pacad backup daemon.",
        discussion: """
            Without --config, runs on the embedded default: state, socket and a directory target under ./.paca/, \
            and one set `workspace` over --source (or the sample workspace the project ships).
            Stops gracefully on SIGTERM or SIGINT; reloads its config on SIGHUP.
            """,
        version: PacaVersion.current
    )

    @Option(name: .long, help: ArgumentHelp("The YAML configuration file.", valueName: "file"))
    var config: String?

    @Option(
        name: .customLong("check-config"),
        help: ArgumentHelp("Check a configuration file and exit: 0 when usable, 1 with every problem.", valueName: "file"))
    var checkConfig: String?

    @Flag(name: .customLong("print-openrpc"), help: "Print the control protocol's OpenRPC document (docs/protocol.openrpc.json) and exit.")
    var printOpenRPC = false

    @Option(name: .long, help: ArgumentHelp("The folder the embedded default backs up (only without --config).", valueName: "dir"))
    var source: String?

    @Option(name: .customLong("stall-timeout"), help: "Seconds a client may leave a frame half-sent before it is disconnected.")
    var stallTimeout: Double = 10

    @Option(name: .customLong("stop-timeout"), help: "Seconds a stop waits for running backups before cancelling them.")
    var stopTimeout: Double = 60

    @Option(
        name: .customLong("target-check-interval"),
        help: "Seconds between checks of the targets (health, free space) and retries of failed deliveries.")
    var targetCheckInterval: Double = 60

    @Option(
        name: .customLong("retry-delay"), help: "Seconds before the first retry of a failed delivery; doubles each attempt, up to an hour.")
    var retryDelay: Double = 60

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    func validate() throws {
        if config != nil && source != nil {
            throw ValidationError("--source applies to the embedded default only; the config file names its own paths")
        }
        guard stallTimeout > 0, stallTimeout <= 3600 else { throw ValidationError("--stall-timeout must be between 0 and 3600 seconds") }
        guard stopTimeout >= 0, stopTimeout <= 86400 else { throw ValidationError("--stop-timeout must be between 0 and 86400 seconds") }
        guard targetCheckInterval >= 0.1, targetCheckInterval <= 86400 else {
            throw ValidationError("--target-check-interval must be between 0.1 and 86400 seconds")
        }
        guard retryDelay >= 0, retryDelay <= 86400 else { throw ValidationError("--retry-delay must be between 0 and 86400 seconds") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level \"\(logLevel)\" is not a level") }
    }

    func run() async throws {
        if printOpenRPC {
            StandardStreams.write(1, OpenRPCDocument.text)
            return
        }
        if let checkConfig {
            do {
                let loaded = try ConfigLoader.load(file: checkConfig)
                print("\(checkConfig): ok (\(loaded.sets.count) set(s), \(loaded.targets.count) target(s))")
                for warning in loaded.warnings { print("warning: \(warning)") }
                return
            } catch {
                printError(error.description)
                throw ExitCode(1)
            }
        }
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { JournalLogHandler(label: $0, level: level) }
        let logger = Logger(label: "pacad")
        let daemonConfig = try loadConfiguration()
        var options = Daemon.Options()
        options.stallTimeout = .milliseconds(Int64(stallTimeout * 1000))
        options.stopTimeout = .milliseconds(Int64(stopTimeout * 1000))
        options.timing = BackupEngine.Timing(
            retryDelay: retryDelay, maximumRetryDelay: max(3600, retryDelay),
            checkInterval: .milliseconds(Int64(targetCheckInterval * 1000)))
        do {
            let daemon = try await Daemon(config: daemonConfig, configFile: config.map(absolute), logger: logger, options: options)
            try await daemon.run()
        } catch {
            logger.critical("pacad cannot start", metadata: ["error": "\(error.description)"])
            throw ExitCode(1)
        }
    }

    private func loadConfiguration() throws -> DaemonConfig {
        if let config {
            do { return try ConfigLoader.load(file: config) } catch {
                printError(error.description)
                throw ExitCode(1)
            }
        }
        let workingDirectory = currentDirectory()
        let folder: String
        if let source {
            folder = absolute(source)
        } else if let sample = Self.sampleWorkspaces(in: workingDirectory).first(where: isDirectory) {
            folder = sample
        } else {
            printError(
                "no --source given and no sample workspace found (looked in \(Self.sampleWorkspaces(in: workingDirectory).joined(separator: ", ")))"
            )
            throw ExitCode(1)
        }
        guard isDirectory(folder) else {
            printError("--source \(folder) is not a directory")
            throw ExitCode(1)
        }
        return DaemonConfig.embeddedDefault(workingDirectory: workingDirectory, source: folder)
    }

    /// Where the demo's sample workspace may be: in a source checkout, or installed by a package.
    static func sampleWorkspaces(in workingDirectory: String) -> [String] {
        [workingDirectory + "/packaging/sample-workspace", "/usr/share/paca/sample-workspace"]
    }
}

func printError(_ message: String) {
    StandardStreams.writeError("pacad: \(message)\n")
}

func currentDirectory() -> String { ProcessFacts.currentDirectory }

func absolute(_ path: String) -> String { PathText.absolute(path, in: currentDirectory()) }

func isDirectory(_ path: String) -> Bool { (try? Syscall.stat(path))?.kind == .directory }
