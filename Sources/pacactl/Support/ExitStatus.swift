import ArgumentParser
import PacaArchive
import PacaClient
import PacaSystem

extension ExitStatus {
    var exitCode: ExitCode { ExitCode(rawValue) }

    /// The status for an archive error: "not found" when the archive or a source is missing.
    init(_ error: ArchiveError) {
        switch error.code {
        case .notFound: self = .notFound
        case .invalidArgument: self = .usage
        default: self = .failed
        }
    }
}

/// Prints `pacactl: <message>` to standard error and returns the exit code to throw.
func fail(_ message: String, _ status: ExitStatus) -> ExitCode {
    StandardStreams.writeError("pacactl: \(message)\n")
    return status.exitCode
}

/// Runs an archive operation with a progress bar on standard error (drawn only on a terminal,
/// cleared afterwards), turning its error into a message and the matching exit status.
func runArchiveOperation<T>(_ label: String, _ body: (ProgressBar) throws(ArchiveError) -> T) throws -> T {
    let bar = ProgressBar(label: label)
    defer { bar.finish() }
    do {
        return try body(bar)
    } catch {
        bar.finish()
        throw fail(error.description, ExitStatus(error))
    }
}
