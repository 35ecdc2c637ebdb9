import PacaCore
import ArgumentParser
import PacaProtocol

struct BackupNowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "now",
        abstract: "Back a set up now and wait for it (a progress bar on a terminal).",
        discussion: "If a backup of the set is running, the request waits for one follow-up backup that later requests share."
    )

    @Option(help: "The set to back up (needed when several are configured).")
    var set: String?

    @Option(help: "Why, recorded in the catalog.")
    var reason: String?

    @Flag(name: .customLong("no-wait"), help: "Return once the backup has started or been queued.")
    var noWait = false

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        var params: [String: JSONValue] = ["wait": .bool(!noWait)]
        if let set { params["set"] = .string(set) }
        if let reason { params["reason"] = .string(reason) }
        let result = try daemon.call("backup.create", params, progressLabel: noWait ? nil : "backing up")
        if daemon.json { return daemon.printResult(result) }
        if noWait {
            print("backup of \(result.text("set")) \(result.text("status"))" + (result["id"]?.stringValue.map { ": \($0)" } ?? ""))
            return
        }
        BackupShowCommand.summary(result)
    }
}

struct BackupListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the backups in the catalog, oldest first, or as a query orders them.",
        discussion: """
            Without --where, --sort or --offset, --limit keeps the newest N. With them the catalog is queried:             pacactl backup list --where 'set = "training" and bytes_in > 1GB' --sort finished_at:desc --limit 10
            """)

    @Option(help: "Only backups of this set.")
    var set: String?

    @Option(help: "Only backups with this status: running, complete, failed, interrupted or cancelled.")
    var status: String?

    @OptionGroup var query: QueryOptions

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        var params = try query.params()
        if let set { params["set"] = .string(set) }
        if let status { params["status"] = .string(status) }
        let result = try daemon.call("backup.list", params)
        if daemon.json { return daemon.printResult(result) }
        var table = Table("ID", "STATUS", "FILES", "SIZE", "STORED", "TRIGGER", "REASON")
        for backup in result["backups"]?.arrayValue ?? [] {
            table.add(
                backup.text("id"), backup.text("status"), backup.text("files"), backup.bytes("bytes_in"), backup.bytes("bytes_stored"),
                backup.text("trigger"), backup["reason"]?.stringValue ?? "")
        }
        print(table.render())
    }
}

struct BackupShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one backup's catalog record.")

    @Argument(help: "The backup id.")
    var id: String

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let record = try daemon.call("backup.show", ["id": .string(id)])
        if daemon.json { return daemon.printResult(record) }
        let keys = [
            "id", "set", "status", "type", "trigger", "reason", "started_at", "finished_at", "files", "bytes_in", "bytes_stored", "ratio",
            "sha256", "target", "path", "error", "changed", "coalesced", "verified", "verified_at",
        ]
        for key in keys where record[key] != nil && record[key] != .null {
            let value = key.hasPrefix("bytes") ? "\(record.bytes(key)) (\(record.text(key)))" : record.text(key)
            print("\(key + ":")\(String(repeating: " ", count: max(1, 14 - key.count)))\(value)")
        }
        for problem in record["unreadable"]?.arrayValue ?? [] { print("unreadable:    \(problem.stringValue ?? "")") }
        for delivery in record["deliveries"]?.arrayValue ?? [] { print("delivery:      " + Self.describe(delivery)) }
    }

    /// One delivery in a line: `usb ok 2026-11-27T02:01:00Z /mnt/usb/...` or `s3 failed (...), next try ...`.
    static func describe(_ delivery: JSONValue) -> String {
        var line = "\(delivery.text("target")) \(delivery.text("status"))"
        if let at = delivery["delivered_at"]?.stringValue { line += " \(at)" }
        if let error = delivery["error"]?.stringValue { line += " (\(error))" }
        if let next = delivery["next_attempt_at"]?.stringValue { line += ", next try \(next)" }
        return line + " " + delivery.text("location")
    }

    /// One paragraph about a finished backup.
    static func summary(_ record: JSONValue) {
        let ratio = record["ratio"]?.doubleValue.map { " (\(Int(($0 * 1000).rounded()) / 10)%)" } ?? ""
        print(
            "backup \(record.text("id")) \(record.text("status")): \(record.text("files")) files, \(record.bytes("bytes_in")) -> \(record.bytes("bytes_stored"))\(ratio)"
        )
        let deliveries = record["deliveries"]?.arrayValue ?? []
        if deliveries.count > 1 || deliveries.contains(where: { $0["status"]?.stringValue != "ok" }) {
            for delivery in deliveries { print("  " + BackupShowCommand.describe(delivery)) }
        } else {
            print("  \(record.text("path"))")
        }
        let unreadable = record["unreadable"]?.arrayValue ?? []
        if !unreadable.isEmpty {
            print("  \(unreadable.count) file(s) could not be read in full; see `pacactl backup show \(record.text("id"))`")
        }
    }
}

struct BackupVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Check a backup's archive end to end (CRC-32, SHA-256 manifest, sidecar).",
        discussion: "Exits 0 when everything matches and 1 when anything does not.")

    @Argument(help: "The backup id.")
    var id: String

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let result = try daemon.call("backup.verify", ["id": .string(id)], progressLabel: "verifying")
        let isValid = result["ok"] == .bool(true)
        if daemon.json {
            daemon.printResult(result)
        } else {
            for problem in result["problems"]?.arrayValue ?? [] {
                print("BAD  " + (problem["entry"]?.stringValue.map { "\($0): " } ?? "") + problem.text("message"))
            }
            print(
                "\(isValid ? "OK" : "FAILED")  \(id): \(result.text("entries")) entries, \(result.bytes("bytes")) checked, sidecar \(result.text("sidecar"))"
            )
        }
        if !isValid { throw ExitStatus.failed.exitCode }
    }
}

struct BackupDeleteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Delete a backup: its archive, sidecar and catalog record.")

    @Argument(help: "The backup id.")
    var id: String

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let result = try daemon.call("backup.delete", ["id": .string(id)])
        if daemon.json { return daemon.printResult(result) }
        print("deleted \(id) (\(result["deleted"]?.text("path") ?? "-"))")
    }
}
