import ArgumentParser
import PacaClient
import PacaCore
import PacaProtocol
import PacaSystem

/// The options every command that talks to the daemon takes, and the call they all make.
struct DaemonOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The daemon's socket (default: $PACA_SOCKET, else ./.paca/pacad.sock when it exists, else /run/paca/pacad.sock).",
            valueName: "path"))
    var socket: String?

    @Flag(help: "Print the result object as one line of JSON on standard output, for scripts.")
    var json = false

    @Option(
        help: ArgumentHelp(
            "Give up (exit 3) when pacad sends nothing for this many seconds: no reply and no progress. 0 waits forever.",
            valueName: "seconds"))
    var timeout: Double = 30

    /// `--timeout` as the connection takes it: nil waits forever.
    var replyTimeout: Duration? { timeout == 0 ? nil : .seconds(rounding: timeout) }

    func validate() throws {
        guard timeout >= 0, timeout <= 86_400 else { throw ValidationError("--timeout must be 0 (wait forever) to 86400 seconds") }
    }

    /// Calls `method`, drawing a progress bar on a terminal when `progressLabel` is given, and
    /// giving up after `--timeout` without a word from pacad (long calls ask for progress, whose
    /// notifications come at least every few seconds, so only a silent daemon times out), and
    /// turns a failure into a message and the documented exit status (3 unreachable, 4 not found).
    func call<Params, Result>(_ method: RPCMethod<Params, Result>, _ params: Params = Params(), progressLabel: String? = nil) throws
        -> Connection.Reply<Result>
    {
        let bar = progressLabel.map { ProgressBar(label: $0) }
        defer { bar?.finish() }
        do {
            let connection = try Connection(paths: SocketLocation.candidates(named: socket), timeout: replyTimeout)
            return try connection.call(method, params) { progress in bar?.update(done: progress.bytes, total: progress.totalBytes) }
        } catch {
            bar?.finish()
            if let rpcError = error.rpcError { report(rpcError) }
            throw fail(error.message, error.exitStatus)
        }
    }

    /// Prints what an error reply carries besides its message: `--json` prints the error object;
    /// problems and failed backups get a line each on standard error.
    func report(_ error: RPCError) {
        if json {
            var object: [String: JSONValue] = ["code": .int(Int64(error.code)), "message": .string(error.message)]
            if let data = error.data { object["data"] = data }
            print(String(decoding: JSONValue.object(["error": .object(object)]).serialized, as: UTF8.self))
        }
        if case .array(let problems)? = error.data?["problems"] {
            for problem in problems {
                if case .string(let text) = problem {
                    StandardStreams.writeError("  \(text)\n")
                } else if let issue = try? ArchiveIssue(wire: problem) {
                    StandardStreams.writeError("  " + (issue.entry.map { "\(NameBytes.display($0)): " } ?? "") + issue.message + "\n")
                }
            }
        }
        if let result = error.data.flatMap({ try? TriggerResult(wire: $0) }) {
            for backup in result.backups {
                switch backup {
                case .finished(let record):
                    StandardStreams.writeError("  \(record.set): \(record.status.rawValue)\(record.error.map { ": \($0)" } ?? "")\n")
                case .failed(let set, let message): StandardStreams.writeError("  \(set): failed: \(message)\n")
                case .admitted(let set, let status): StandardStreams.writeError("  \(set): \(status.rawValue)\n")
                }
            }
        }
    }

    /// Prints a reply's result exactly as the daemon sent it, as compact JSON with sorted keys.
    func printResult<Result>(_ reply: Connection.Reply<Result>) {
        print(String(decoding: reply.json.serialized, as: UTF8.self))
    }
}
