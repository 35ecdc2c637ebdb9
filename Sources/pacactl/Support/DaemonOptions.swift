import PacaCore
import ArgumentParser
import PacaProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// The options every command that talks to the daemon takes.
struct DaemonOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The daemon's socket (default: $PACA_SOCKET, else ./.paca/pacad.sock when it exists, else /run/paca/pacad.sock).",
            valueName: "path"))
    var socket: String?

    @Flag(help: "Print the result object as one line of JSON on standard output, for scripts.")
    var json = false

    /// The paths to try, in order.
    var socketPaths: [String] {
        if let socket { return [socket] }
        if let variable = getenv("PACA_SOCKET"), variable.pointee != 0 { return [String(cString: variable)] }
        var paths: [String] = []
        if access(".paca/pacad.sock", F_OK) == 0 { paths.append(".paca/pacad.sock") }
        paths.append("/run/paca/pacad.sock")
        return paths
    }

    /// Calls `method`, drawing a progress bar on a terminal when `progressLabel` is given, and
    /// turns a failure into a message and the documented exit status (3 unreachable, 4 not found).
    func call(_ method: String, _ params: [String: JSONValue] = [:], progressLabel: String? = nil) throws -> JSONValue {
        let bar = progressLabel.map { ProgressBar(label: $0) }
        defer { bar?.finish() }
        var params = params
        if bar != nil && isatty(STDERR_FILENO) == 1 { params["progress"] = .bool(true) }
        do {
            let client = try ControlClient(connectingTo: socketPaths)
            return try client.call(method, params) { value in
                guard case .object(let members) = value else { return }
                if case .int(let done)? = members["bytes"], case .int(let total)? = members["total_bytes"] {
                    bar?.update(done: UInt64(max(0, done)), total: UInt64(max(0, total)))
                }
            }
        } catch {
            bar?.finish()
            switch error {
            case .unreachable(let message): throw fail(message, .unreachable)
            case .broken(let message): throw fail(message, .failed)
            case .rpc(let rpcError):
                if json {
                    var object: [String: JSONValue] = ["code": .int(Int64(rpcError.code)), "message": .string(rpcError.message)]
                    if let data = rpcError.data { object["data"] = data }
                    print(String(decoding: JSONValue.object(["error": .object(object)]).serialized, as: UTF8.self))
                }
                for problem in rpcError.data?["problems"]?.arrayValue ?? [] {
                    writeToStandardError(
                        "  " + (problem.stringValue ?? ((problem["entry"]?.stringValue.map { "\($0): " } ?? "") + problem.text("message")))
                            + "\n")
                }
                for backup in rpcError.data?["backups"]?.arrayValue ?? [] {
                    let detail = backup["error"]?.stringValue.map { ": \($0)" } ?? ""
                    writeToStandardError("  \(backup.text("set")): \(backup.text("status"))\(detail)\n")
                }
                throw fail(rpcError.message, ExitStatus(rpcError))
            }
        }
    }

    /// Prints `value` exactly, as compact JSON with sorted keys.
    func printResult(_ value: JSONValue) {
        print(String(decoding: value.serialized, as: UTF8.self))
    }
}

extension ExitStatus {
    /// The exit status for a daemon error: 4 for not found, 2 for bad params, 1 otherwise.
    init(_ error: RPCError) {
        switch error.code {
        case RPCErrorCode.notFound.rawValue: self = .notFound
        case RPCErrorCode.invalidParams.rawValue: self = .usage
        default: self = .failed
        }
    }
}
