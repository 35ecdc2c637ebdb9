import PacaCore
import Yams

extension NodeReader {
    /// `targets:` — named places archives are delivered to.
    mutating func targets(_ node: Node?) -> [DaemonConfig.Target] {
        guard let pairs = mapping(node, at: "targets", allowed: []) else { return [] }
        if pairs.isEmpty { report("targets", node, "no targets: configure at least one") }
        var targets: [DaemonConfig.Target] = []
        for (name, value) in pairs {
            let key = "targets.\(name)"
            guard self.name(name, at: key, value), let type = targetType(value, at: key) else { continue }
            let allowed =
                type == "s3"
                ? [
                    "type", "endpoint", "bucket", "region", "prefix", "addressing", "credentials_file", "profile", "part_size",
                    "upload_concurrency", "retention", "scrub_every", "scrub_rate",
                ]
                : ["type", "path", "retention", "scrub_every", "scrub_rate"]
            guard let fields = mapping(value, at: key, allowed: allowed) else { continue }
            let values = Dictionary(fields, uniquingKeysWith: { first, _ in first })
            let retention = values["retention"].flatMap { self.retention($0, at: "\(key).retention") }
            switch type {
            case "directory":
                guard let pathNode = values["path"] else {
                    report("\(key).path", value, "missing; a directory target needs a path")
                    continue
                }
                if let path = absolutePath(pathNode, at: "\(key).path"), let scrub = scrub(values, for: .directory(path: path), at: key) {
                    targets.append(DaemonConfig.Target(name: name, kind: .directory(path: path), retention: retention, scrub: scrub))
                }
            default:
                if let s3 = s3(values, node: value, at: key), let scrub = scrub(values, for: .s3(s3), at: key) {
                    targets.append(DaemonConfig.Target(name: name, kind: .s3(s3), retention: retention, scrub: scrub))
                }
            }
        }
        return targets
    }

    /// `scrub_every` (a duration of at least an hour, or `off`) and `scrub_rate` (bytes per
    /// second, at least 1MB); nil when either is wrong.
    private mutating func scrub(_ values: [String: Node], for kind: DaemonConfig.Target.Kind, at key: String)
        -> DaemonConfig.Target.Scrub?
    {
        var scrub = DaemonConfig.Target.Scrub.defaults(for: kind)
        var isValid = true
        if let node = values["scrub_every"] {
            if let text = string(node, at: "\(key).scrub_every") {
                if text == "off" {
                    scrub.every = nil
                } else if let seconds = DurationText.seconds(text), seconds >= 3600 {
                    scrub.every = seconds
                } else {
                    report("\(key).scrub_every", node, "\"\(text)\" is not a duration of at least an hour like 30d or 2w, or off")
                    isValid = false
                }
            } else {
                isValid = false
            }
        }
        if let node = values["scrub_rate"] {
            if let text = string(node, at: "\(key).scrub_rate") {
                if let bytes = SizeText.bytes(text), bytes >= 1_000_000 {
                    scrub.rate = UInt64(bytes)
                } else {
                    report("\(key).scrub_rate", node, "\"\(text)\" is not a rate of at least 1MB (bytes per second) like 50MB")
                    isValid = false
                }
            } else {
                isValid = false
            }
        }
        return isValid ? scrub : nil
    }

    private mutating func targetType(_ node: Node, at key: String) -> String? {
        guard let typeNode = node.mapping?["type"] else {
            if node.mapping != nil {
                report("\(key).type", node, "missing; it is required (directory or s3)")
            } else {
                report(key, node, "expected a mapping of keys to values")
            }
            return nil
        }
        guard let type = string(typeNode, at: "\(key).type") else { return nil }
        guard type == "directory" || type == "s3" else {
            report("\(key).type", typeNode, "unknown target type \"\(type)\"; expected directory or s3")
            return nil
        }
        return type
    }

    private mutating func s3(_ values: [String: Node], node: Node, at key: String) -> DaemonConfig.Target.S3? {
        var missing = false
        for required in ["endpoint", "bucket"] where values[required] == nil {
            report("\(key).\(required)", node, "missing; an s3 target needs endpoint and bucket")
            missing = true
        }
        guard !missing, let endpoint = string(values["endpoint"]!, at: "\(key).endpoint"),
            let bucket = string(values["bucket"]!, at: "\(key).bucket")
        else { return nil }
        var s3 = DaemonConfig.Target.S3(endpoint: endpoint, bucket: bucket)
        var isValid = true
        // Credentials in the URL (https://KEY:SECRET@host) would reach logs and status: refused,
        // and the value is never repeated in the message.
        let afterScheme = endpoint.range(of: "://").map { endpoint[$0.upperBound...] } ?? endpoint[...]
        let authority = afterScheme.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if authority.contains("@") {
            report(
                "\(key).endpoint", values["endpoint"],
                "must not carry credentials (user:secret@host); name a credentials_file, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in pacad's environment (the value is not shown here)"
            )
            isValid = false
        } else if !(endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://")) {
            report("\(key).endpoint", values["endpoint"], "\"\(endpoint)\" must start with https:// (or http:// for a local store)")
            isValid = false
        }
        if let region = values["region"] {
            if let text = string(region, at: "\(key).region") { s3.region = text } else { isValid = false }
        }
        if let prefix = values["prefix"], let text = string(prefix, at: "\(key).prefix") {
            let trimmed = text.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
            if trimmed.isEmpty || text.contains("//") || text.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) {
                report("\(key).prefix", prefix, "\"\(text)\" is not a key prefix like \"backups/{host}\"")
                isValid = false
            } else {
                s3.prefix = trimmed
            }
        }
        if let addressing = values["addressing"], let text = string(addressing, at: "\(key).addressing") {
            if ["path", "virtual-host"].contains(text) {
                s3.addressing = text
            } else {
                report("\(key).addressing", addressing, "\"\(text)\" is not path or virtual-host")
                isValid = false
            }
        }
        if let file = values["credentials_file"] {
            if let path = absolutePath(file, at: "\(key).credentials_file") { s3.credentialsFile = path } else { isValid = false }
        }
        if let profile = values["profile"] {
            if let text = string(profile, at: "\(key).profile") { s3.profile = text } else { isValid = false }
            if values["credentials_file"] == nil {
                report("\(key).profile", profile, "only used with credentials_file")
                isValid = false
            }
        }
        if let partSize = values["part_size"], let text = string(partSize, at: "\(key).part_size") {
            if let bytes = SizeText.bytes(text), bytes >= 5 << 20, bytes <= 5 << 30 {
                s3.partSize = Int(bytes)
            } else {
                report("\(key).part_size", partSize, "\"\(text)\" is not a part size from 5MiB to 5GiB, like 16MiB")
                isValid = false
            }
        }
        if let concurrency = values["upload_concurrency"] {
            if let count = integer(concurrency, at: "\(key).upload_concurrency", in: 1...16) {
                s3.concurrency = count
            } else {
                isValid = false
            }
        }
        return isValid ? s3 : nil
    }

    /// A `retention:` mapping (restic's keep rules; see docs/configuration.md).
    mutating func retention(_ node: Node, at key: String) -> RetentionPolicy? {
        let counts = ["keep_last", "keep_hourly", "keep_daily", "keep_weekly", "keep_monthly", "keep_yearly"]
        let reported = problems.count
        guard let fields = mapping(node, at: key, allowed: counts + ["keep_within", "keep_tagged", "keep_best"]) else { return nil }
        var policy = RetentionPolicy()
        var isValid = true
        for (name, value) in fields {
            switch name {
            case "keep_within":
                guard let text = string(value, at: "\(key).keep_within") else {
                    isValid = false
                    continue
                }
                if let seconds = DurationText.seconds(text) {
                    policy.keepWithin = seconds
                } else {
                    report("\(key).keep_within", value, "\"\(text)\" is not a duration like 30d, 12h or 2w")
                    isValid = false
                }
            case "keep_best":
                policy.keepBest = best(value, at: "\(key).keep_best")
                if policy.keepBest == nil { isValid = false }
            case "keep_tagged":
                guard let flag = value.bool else {
                    report("\(key).keep_tagged", value, "expected true or false")
                    isValid = false
                    continue
                }
                policy.keepTagged = flag
            default:
                guard let count = value.int else {
                    report("\(key).\(name)", value, "expected a whole number (-1 for unlimited)")
                    isValid = false
                    continue
                }
                guard count >= -1 else {
                    report("\(key).\(name)", value, "\(count) is not a count; use a number of backups, or -1 for unlimited")
                    isValid = false
                    continue
                }
                switch name {
                case "keep_last": policy.keepLast = count
                case "keep_hourly": policy.keepHourly = count
                case "keep_daily": policy.keepDaily = count
                case "keep_weekly": policy.keepWeekly = count
                case "keep_monthly": policy.keepMonthly = count
                default: policy.keepYearly = count
                }
            }
        }
        if isValid && problems.count == reported && policy.keepsEverything {
            report(
                key, node,
                "keeps everything: give at least one of \(counts.joined(separator: ", ")), keep_within, keep_best (or leave retention out)")
            return nil
        }
        return isValid ? policy : nil
    }

    /// `keep_best: {metric: eval_loss, mode: min, count: 3}`.
    mutating func best(_ node: Node, at key: String) -> RetentionPolicy.Best? {
        guard let fields = mapping(node, at: key, allowed: ["metric", "mode", "count"]) else { return nil }
        guard let metricNode = fields.first(where: { $0.0 == "metric" })?.1, let metric = string(metricNode, at: "\(key).metric"),
            !metric.isEmpty, metric.count <= 128
        else {
            report(key, node, "needs metric: the name of a metric checkpoints are captured with (eval_loss)")
            return nil
        }
        var higher = false
        if let modeNode = fields.first(where: { $0.0 == "mode" })?.1 {
            switch modeNode.string {
            case "min": higher = false
            case "max": higher = true
            default:
                report("\(key).mode", modeNode, "expected min (lower is better, a loss) or max (higher is better, an accuracy)")
                return nil
            }
        } else {
            report(key, node, "needs mode: min (lower is better, a loss) or max (higher is better, an accuracy)")
            return nil
        }
        guard let countNode = fields.first(where: { $0.0 == "count" })?.1, let count = countNode.int, count >= 1 else {
            report(key, node, "needs count: how many of the best to keep (1 or more)")
            return nil
        }
        return RetentionPolicy.Best(metric: metric, isHigherBetter: higher, count: count)
    }
}
