import PacaCatalog
import PacaCore
import PacaEngine

/// The one-line summary systemd shows (`STATUS=`) and `daemon.status` returns:
/// "idle; last backup training 2 min ago", "backing up training: 41%". Pure, so tests fix the time.
enum StatusLine {
    static func text(snapshot: EngineSnapshot, latest: BackupRecord?, now: Double) -> String {
        if snapshot.isStopping { return "stopping" }
        if let first = snapshot.activities.first {
            let verb =
                switch first.kind {
                case .backup: "backing up \(first.set)"
                case .restore: "restoring \(first.backupID ?? first.set)"
                case .verify: "verifying \(first.backupID ?? first.set)"
                case .scrub: "scrubbing \(first.backupID ?? first.set)"
                }
            let percent = first.progress.percent.map { ": \($0)%" } ?? ""
            let more = snapshot.activities.count > 1 ? " (+\(snapshot.activities.count - 1) more)" : ""
            return verb + percent + more
        }
        guard let latest else { return "idle; no backups yet" }
        let when = latest.finishedAt ?? latest.startedAt
        let outcome = latest.status == .complete ? "" : " (\(latest.status.rawValue))"
        return "idle; last backup \(latest.set) \(age(now - Double(when)))\(outcome)"
    }

    /// "just now", "2 min ago", "3 h ago", "5 days ago".
    static func age(_ seconds: Double) -> String {
        switch seconds {
        case ..<60: "just now"
        case ..<3600: "\(Int(seconds / 60)) min ago"
        case ..<172_800: "\(Int(seconds / 3600)) h ago"
        default: "\(Int(seconds / 86400)) days ago"
        }
    }
}
