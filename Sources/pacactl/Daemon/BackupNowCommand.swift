import ArgumentParser
import PacaProtocol
import PacaSystem

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

    @Flag(help: "Store every file's bytes in this backup's archive, whatever changed (the set's later backups build on it).")
    var full = false

    @Flag(help: "Read every file whose size did not change and compare its SHA-256, instead of trusting unchanged times.")
    var rehash = false

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        var params = BackupCreateParams(set: set, reason: reason, wait: !noWait, progress: !noWait)
        params.full = full
        params.rehash = rehash
        let reply = try daemon.call(Methods.backupCreate, params, progressLabel: noWait ? nil : "backing up")
        if daemon.json {
            daemon.printResult(reply)
        } else {
            switch reply.result {
            case .admitted(let admission):
                print("backup of \(admission.set) \(admission.status.rawValue)" + (admission.id.map { ": \($0)" } ?? ""))
            case .finished(let backup): BackupSummary.print(backup)
            }
        }
        if case .finished(let backup) = reply.result { try BackupSummary.failIfPartial([backup]) }
    }
}

/// "1 file", "2 files".
func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

/// A finished backup in a few lines: its outcome, where it went, what could not be read.
enum BackupSummary {
    static func print(_ backup: Backup) {
        let ratio = backup.ratio.map { " (\(Int(($0 * 1000).rounded()) / 10)%)" } ?? ""
        Swift.print(
            "backup \(backup.id) \(backup.status.rawValue): \(backup.files) files, \(ByteCount.format(backup.bytesIn)) -> \(ByteCount.format(backup.bytesStored))\(ratio)"
        )
        if backup.type == .incremental {
            let archives = backup.references.count == 1 ? "1 earlier archive" : "\(backup.references.count) earlier archives"
            Swift.print(
                "  incremental: \(count(backup.files - backup.filesReferenced, "new or changed file")), \(ByteCount.format(backup.bytesWritten)) written; \(ByteCount.format(backup.bytesReferenced)) unchanged (\(count(backup.filesReferenced, "whole file"))) in \(archives)"
            )
        }
        if backup.deliveries.count > 1 || backup.deliveries.contains(where: { $0.status != .ok }) {
            for delivery in backup.deliveries { Swift.print("  " + describe(delivery)) }
        } else {
            Swift.print("  \(backup.path)")
        }
        if !backup.unreadable.isEmpty {
            Swift.print("  \(backup.unreadable.count) file(s) could not be read in full; see `pacactl backup show \(backup.id)`")
        }
    }

    /// Exit status 1 when a backup is partial: it is restorable, but it misses files, and a
    /// script that checks only the status must hear about it. The files go to standard error.
    static func failIfPartial(_ backups: [Backup]) throws {
        let partial = backups.filter { $0.status == .partial }
        guard !partial.isEmpty else { return }
        for backup in partial {
            StandardStreams.writeError("pacactl: backup \(backup.id) is partial; it misses:\n")
            for line in backup.unreadable.prefix(20) { StandardStreams.writeError("  \(NameBytes.display(line))\n") }
            if backup.unreadable.count > 20 { StandardStreams.writeError("  ... (pacactl backup show \(backup.id) lists them all)\n") }
        }
        throw fail("\(partial.count == 1 ? "a backup" : "\(partial.count) backups") could not read everything", .failed)
    }

    /// One delivery in a line: `usb ok 2026-11-27T02:01:00Z /mnt/usb/...` or `s3 failed (...), next try ...`.
    static func describe(_ delivery: Delivery) -> String {
        var line = "\(delivery.target) \(delivery.status.rawValue)"
        if let at = delivery.deliveredAt { line += " \(at.text)" }
        if let error = delivery.error { line += " (\(error))" }
        if let next = delivery.nextAttemptAt { line += ", next try \(next.text)" }
        return line + " " + delivery.location
    }
}
