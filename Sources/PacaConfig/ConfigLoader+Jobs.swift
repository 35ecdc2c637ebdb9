import PacaCore
import Yams

extension NodeReader {
    /// `jobs:`: each a `cron:` expression or an `every:` interval, a `set`, and optionally
    /// `jitter:` and `catch_up:`.
    mutating func jobs(_ node: Node?, sets: [String]) -> [DaemonConfig.Job] {
        guard let node, let pairs = mapping(node, at: "jobs", allowed: []) else { return [] }
        var jobs: [DaemonConfig.Job] = []
        for (name, value) in pairs {
            let key = "jobs.\(name)"
            guard self.name(name, at: key, value),
                let fields = mapping(value, at: key, allowed: ["cron", "every", "set", "jitter", "catch_up"])
            else { continue }
            let values = Dictionary(fields, uniquingKeysWith: { first, _ in first })
            var schedule: Schedule?
            switch (values["cron"], values["every"]) {
            case (let cron?, nil):
                if let text = string(cron, at: "\(key).cron") {
                    do {
                        let expression = try CronExpression(text)
                        if let zone = expression.timeZone {
                            do { _ = try ZoneDatabase.zone(named: zone) } catch { report("\(key).cron", cron, error.description) }
                        }
                        if let never = expression.neverReason { report("\(key).cron", cron, "\"\(text)\" never fires: \(never)") }
                        schedule = .cron(expression)
                    } catch {
                        report("\(key).cron", cron, error.description)
                    }
                }
            case (nil, let every?):
                if let text = string(every, at: "\(key).every") {
                    if let seconds = DurationText.seconds(text), seconds >= 60 {
                        schedule = .every(seconds)
                    } else {
                        report("\(key).every", every, "\"\(text)\" is not an interval of a minute or more, like 30m, 6h or 1d")
                    }
                }
            case (nil, nil):
                report(key, value, "needs a schedule: cron: \"0 2 * * *\" or every: 6h")
            default:
                report(key, value, "has both cron: and every:; give one")
            }
            var set: String?
            if let setNode = values["set"] {
                if let text = string(setNode, at: "\(key).set") {
                    if sets.contains(text) {
                        set = text
                    } else {
                        report("\(key).set", setNode, "no set named \"\(text)\" (sets: \(sets.joined(separator: ", ")))")
                    }
                }
            } else if sets.count == 1 {
                set = sets[0]
            } else {
                report("\(key).set", value, "missing; with several sets, say which this job backs up")
            }
            var jitter: Int64 = 0
            if let jitterNode = values["jitter"], let text = string(jitterNode, at: "\(key).jitter") {
                if let seconds = DurationText.seconds(text) {
                    jitter = seconds
                } else {
                    report("\(key).jitter", jitterNode, "\"\(text)\" is not a duration like 90s, 5m or 1h")
                }
            }
            var catchUp = true
            if let catchUpNode = values["catch_up"] {
                if let flag = catchUpNode.bool { catchUp = flag } else { report("\(key).catch_up", catchUpNode, "expected true or false") }
            }
            if let schedule, let set {
                jobs.append(DaemonConfig.Job(name: name, set: set, schedule: schedule, jitter: jitter, catchUp: catchUp))
            }
        }
        return jobs
    }
}
