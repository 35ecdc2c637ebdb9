public import Logging
public import ServiceLifecycle
import UnixSignals

/// Reloads the configuration on SIGHUP, like `daemon.reload`. A bad file is logged with every
/// problem and changes nothing.
public struct ReloadService: Service {
    let configuration: ConfigurationStore
    let logger: Logger

    public init(configuration: ConfigurationStore, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            do {
                let outcome = try await configuration.reload()
                if !outcome.restartRequired.isEmpty {
                    logger.warning(
                        "some settings take effect only after a restart",
                        metadata: ["config.restart_required": "\(outcome.restartRequired)"])
                }
            } catch {
                switch error {
                case .noFile: logger.notice("SIGHUP ignored: running on the embedded default, there is no file to reload")
                case .invalid(let problem): logger.error("configuration not reloaded", metadata: ["config.problems": "\(problem)"])
                }
            }
        }
    }
}
