import ArgumentParser
import PacaProtocol

struct BackupShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one backup's catalog record.")

    @Argument(help: "The backup id.")
    var id: String

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let reply = try daemon.call(Methods.backupShow, BackupIDParams(id: id))
        if daemon.json { return daemon.printResult(reply) }
        let backup = reply.result
        func bytes(_ count: UInt64) -> String { "\(ByteCount.format(count)) (\(count))" }
        let lines: [(String, String?)] = [
            ("id", backup.id), ("set", backup.set), ("status", backup.status.rawValue), ("type", backup.type.rawValue),
            ("base", backup.base), ("trigger", backup.trigger), ("reason", backup.reason), ("checkpoint", backup.checkpoint),
            ("step", backup.step.map { String($0) }),
            ("metrics", backup.metrics.map { $0.values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }),
            ("started_at", backup.startedAt.text),
            ("finished_at", backup.finishedAt?.text), ("files", String(backup.files)),
            (
                "wrote",
                "\(count(backup.files - backup.filesReferenced, "file")), \(bytes(backup.bytesWritten)) into \(bytes(backup.bytesStored)) of archive"
            ),
            (
                "references",
                backup.references.isEmpty
                    ? nil
                    : "\(bytes(backup.bytesReferenced)) in \(backup.references.joined(separator: ", ")): \(count(backup.filesReferenced, "unchanged file")) and the unchanged parts of changed ones"
            ),
            ("retired", backup.retired ? "yes: no restore point; its archive stays for backups that reference it" : nil),
            ("bytes_in", bytes(backup.bytesIn)),
            ("bytes_stored", bytes(backup.bytesStored)), ("ratio", backup.ratio.map { String($0) }), ("sha256", backup.sha256),
            ("target", backup.target), ("path", backup.path), ("error", backup.error), ("changed", String(backup.changed)),
            ("coalesced", String(backup.coalesced)), ("verified", backup.verified.map { String($0) }),
            ("verified_at", backup.verifiedAt?.text),
        ]
        for case (let key, let value?) in lines {
            print("\(key + ":")\(String(repeating: " ", count: max(1, 14 - key.count)))\(value)")
        }
        for problem in backup.unreadable { print("unreadable:    \(problem)") }
        for delivery in backup.deliveries { print("delivery:      " + BackupSummary.describe(delivery)) }
    }
}
