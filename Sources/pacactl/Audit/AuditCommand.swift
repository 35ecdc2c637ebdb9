import ArgumentParser
import PacaCore
import PacaProtocol

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Show who called pacad for what, from its audit log (admins).",
        subcommands: [AuditListCommand.self, AuditVerifyCommand.self], defaultSubcommand: AuditListCommand.self)
}

struct AuditListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "The newest lines of the audit log, oldest first.",
        discussion:
            #"Fields: time, seq, uid, gid, user, pid, exe, comm, method, params, outcome (ok, denied, error), code, ms. E.g. --where 'outcome = "denied"' or --where 'method like "backup.%" and user = "alice"'."#
    )

    @Option(name: .customLong("where"), help: "A filter over the lines' fields (see docs/data.md).")
    var filter: String?

    @Option(help: "The newest N matching lines (1-100000).")
    var limit: Int = 100

    @OptionGroup var daemon: DaemonOptions

    func validate() throws {
        guard (1...100_000).contains(limit) else { throw ValidationError("--limit must be 1-100000") }
        if let filter { _ = try QueryOptions.parse(filter) }
    }

    func run() throws {
        // Pages of at most 1000, newest first, each oldest first: put together oldest first.
        let parsed = try filter.map(QueryOptions.parse)
        var entries: [JSONValue] = []
        var before: Int64?
        repeat {
            let page = Int64(min(limit - entries.count, Int(Page.size)))
            let reply = try daemon.call(Methods.auditList, AuditListParams(filter: parsed, limit: page, beforeSeq: before))
            entries = reply.result.entries + entries
            before = reply.result.nextBeforeSeq
        } while before != nil && entries.count < limit
        if daemon.json { return print(String(decoding: AuditList(entries: entries).wire.serialized, as: UTF8.self)) }
        var table = Table("TIME", "USER", "METHOD", "OUTCOME", "MS", "PROGRAM")
        for line in entries {
            guard case .object(let members) = line else { continue }
            func text(_ key: String) -> String {
                switch members[key] {
                case .string(let value)?: value
                case .int(let value)?: String(value)
                case .double(let value)?: String(format: "%.1f", value)
                default: "-"
                }
            }
            func string(_ key: String) -> String? { if case .string(let value)? = members[key] { value } else { nil } }
            let user = string("user") ?? "uid \(text("uid"))"
            let outcome = members["code"] == nil ? text("outcome") : "\(text("outcome")) \(text("code"))"
            // comm is what the caller named itself: shown only where pacad could not read exe.
            let program = string("exe") ?? string("comm").map { "\($0) (comm)" } ?? "-"
            table.add(text("time"), user, text("method"), outcome, text("ms"), program)
        }
        print(table.render())
    }
}

struct AuditVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the audit log's hash chain through every file; exit 1 naming the first line that breaks it.")

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let reply = try daemon.call(Methods.auditVerify)
        if daemon.json {
            daemon.printResult(reply)
        } else if reply.result.ok {
            print("audit log intact: \(reply.result.lines) lines in \(reply.result.files.joined(separator: ", "))")
        }
        if let problem = reply.result.problem {
            throw fail("the audit log is not intact: \(problem.file) line \(problem.line) \(problem.message)", .failed)
        }
    }
}
