import ArgumentParser
import PacaCore
import PacaProtocol
import PacaSystem

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show what pacad is doing and each set's last backup."
    )

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let reply = try daemon.call(Methods.daemonStatus)
        if daemon.json { return daemon.printResult(reply) }
        let status = reply.result
        print("pacad \(status.version) (pid \(status.pid)), up \(Self.duration(status.uptimeSeconds)); config: \(status.config)")
        print(status.statusLine)
        for activity in status.activities {
            let percent = activity.progress.percent.map { " \($0)%" } ?? ""
            print(
                "  \(activity.kind.rawValue) \(activity.progress.backup ?? activity.set)\(percent): \(ByteCount.format(activity.progress.bytes)) of \(ByteCount.format(activity.progress.totalBytes))"
            )
        }
        var table = Table("SET", "LAST BACKUP", "KIND", "STATUS", "FINISHED", "RPO", "QUEUED", "TRIGGERS")
        for set in status.sets {
            var triggers = set.triggers.joined(separator: ",")
            if let due = set.watch?.dueInSeconds { triggers += " (changes seen; backup in \(Int(due.rounded(.up))) s)" }
            table.add(
                set.name, set.lastBackup?.id ?? "-", set.lastBackup?.type.rawValue ?? "-", set.lastBackup?.status.rawValue ?? "-",
                set.lastBackup?.finishedAt?.text ?? "-", set.rpo.map(Self.recoveryPoint) ?? "-",
                set.queued ? "yes" : "", triggers)
        }
        print(table.render())
        for set in status.sets where set.rpo?.past == true {
            print("PAST RPO  \(set.name): " + (set.rpo.map(Self.recoveryPoint) ?? ""))
        }
        var targets = Table("TARGET", "TYPE", "HEALTH", "FREE", "LAST DELIVERY", "FAILED", "OLDEST UNVERIFIED", "LOCATION")
        for target in status.targets {
            let health =
                switch target.healthy {
                case true?: "ok"
                case false?: "FAILING: " + (target.problem ?? "-")
                case nil: "not checked yet"
                }
            targets.add(
                target.name, target.type, health, ByteCount.format(target.freeBytes), target.lastDeliveryAt?.text ?? "never",
                String(target.failedDeliveries), Self.scrubState(target), target.location)
        }
        print(targets.render())
        for damaged in status.damaged {
            print("DAMAGED  \(damaged.id) (\(damaged.set)): \(damaged.error)")
            if damaged.lost.isEmpty { print("  every file: the archive is gone or unreadable on every target") }
            for path in damaged.lost { print("  lost: \(NameBytes.display(path))") }
        }
        if !status.jobs.isEmpty {
            var next = Table("JOB", "NEXT RUN")
            for job in status.jobs { next.add(job.name, job.nextDue?.text ?? "paused or never") }
            print(next.render())
        }
        print("socket \(status.socket); \(status.catalog.backups) backup(s) in the catalog")
    }

    /// "2 h of 6 h", "5 h of 6 h PAST", "none of 6 h PAST".
    static func recoveryPoint(_ rpo: RecoveryPointStatus) -> String {
        (rpo.ageSeconds.map(duration) ?? "none") + " of \(duration(rpo.targetSeconds))" + (rpo.past ? " PAST" : "")
    }

    /// "3 days (scrub every 30 days)", or "- (scrub off)".
    static func scrubState(_ target: TargetStatus) -> String {
        let age = target.oldestUnverifiedSeconds.map(duration) ?? "-"
        guard let every = target.scrubEverySeconds else { return "\(age) (scrub off)" }
        let overdue = (target.oldestUnverifiedSeconds ?? 0) > every ? " OVERDUE" : ""
        return "\(age) (scrub every \(duration(every)))\(overdue)"
    }

    static func duration(_ seconds: Int64) -> String { DurationText.approximate(seconds) }
}
