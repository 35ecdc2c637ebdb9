import ArgumentParser
import PacaProtocol

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show what pacad is doing and each set's last backup."
    )

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let status = try daemon.call("daemon.status")
        if daemon.json { return daemon.printResult(status) }
        print(
            "pacad \(status.text("version")) (pid \(status.text("pid"))), up \(Self.duration(status["uptime_seconds"]?.intValue ?? 0)); config: \(status.text("config"))"
        )
        print(status.text("status_line"))
        for activity in status["activities"]?.arrayValue ?? [] {
            let percent = activity["percent"]?.intValue.map { " \($0)%" } ?? ""
            print(
                "  \(activity.text("kind")) \(activity["backup"]?.stringValue ?? activity.text("set"))\(percent): \(activity.bytes("bytes")) of \(activity.bytes("total_bytes"))"
            )
        }
        var table = Table("SET", "LAST BACKUP", "STATUS", "FINISHED", "QUEUED", "TRIGGERS")
        for set in status["sets"]?.arrayValue ?? [] {
            let last = set["last_backup"] ?? .null
            var triggers = (set["triggers"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ",")
            if let due = set["watch"]?["due_in_seconds"]?.doubleValue {
                triggers += " (changes seen; backup in \(Int(due.rounded(.up))) s)"
            }
            table.add(
                set.text("name"), last.text("id"), last.text("status"), last.text("finished_at"), set["queued"] == .bool(true) ? "yes" : "",
                triggers)
        }
        print(table.render())
        var targets = Table("TARGET", "TYPE", "HEALTH", "FREE", "LAST DELIVERY", "FAILED", "LOCATION")
        for target in status["targets"]?.arrayValue ?? [] {
            let health: String
            switch target["healthy"] {
            case .bool(true): health = "ok"
            case .bool(false): health = "FAILING: " + target.text("problem")
            default: health = "not checked yet"
            }
            targets.add(
                target.text("name"), target.text("type"), health, target.bytes("free_bytes"),
                target["last_delivery_at"]?.stringValue ?? "never", target.text("failed_deliveries"), target.text("location"))
        }
        print(targets.render())
        let jobs = status["jobs"]?.arrayValue ?? []
        if !jobs.isEmpty {
            var next = Table("JOB", "NEXT RUN")
            for job in jobs { next.add(job.text("name"), job["next_due"]?.stringValue ?? "paused or never") }
            print(next.render())
        }
        print("socket \(status.text("socket")); \(status["catalog"]?.text("backups") ?? "0") backup(s) in the catalog")
    }

    static func duration(_ seconds: Int64) -> String {
        switch seconds {
        case ..<120: "\(seconds) s"
        case ..<7200: "\(seconds / 60) min"
        case ..<172_800: "\(seconds / 3600) h"
        default: "\(seconds / 86400) days"
        }
    }
}
