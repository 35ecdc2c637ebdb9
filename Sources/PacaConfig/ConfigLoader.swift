import PacaCore
import PacaSystem
import Yams

/// Reads pacad's YAML configuration (with Yams) and checks it as a whole: unknown keys, values
/// of the wrong type, out-of-range numbers, relative paths, bad patterns and references to
/// targets that do not exist are all reported together, each with its key path and line.
public enum ConfigLoader {
    /// Parses and validates `text`; `file` is only used in messages.
    public static func load(yaml text: String, file: String? = nil) throws(ConfigError) -> DaemonConfig {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigError(file: file, problems: [Self.problem(from: error)])
        } catch {
            throw ConfigError(file: file, problems: [ConfigProblem(key: "", line: nil, message: "not valid YAML: \(error)")])
        }
        var reader = NodeReader()
        let config = reader.daemonConfig(root)
        guard reader.problems.isEmpty, let config else {
            throw ConfigError(file: file, problems: reader.problems)
        }
        return config
    }

    /// Reads and validates the file at `path`.
    public static func load(file path: String) throws(ConfigError) -> DaemonConfig {
        let read: [UInt8]?
        do { read = try DurableFile.read(path, limit: 16 << 20) } catch {
            throw ConfigError(file: path, problems: [ConfigProblem(key: "", line: nil, message: "cannot read the file (\(error.reason))")])
        }
        guard let bytes = read else {
            throw ConfigError(file: path, problems: [ConfigProblem(key: "", line: nil, message: "cannot read the file: it does not exist")])
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigError(file: path, problems: [ConfigProblem(key: "", line: nil, message: "the file is not UTF-8 text")])
        }
        return try load(yaml: text, file: path)
    }

    private static func problem(from error: YamlError) -> ConfigProblem {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return ConfigProblem(key: "", line: mark.line, message: "not valid YAML: \(problem)")
        default:
            return ConfigProblem(key: "", line: nil, message: "not valid YAML: \(error)")
        }
    }
}

/// Walks the YAML node tree, collecting every problem instead of stopping at the first.
struct NodeReader {
    var problems: [ConfigProblem] = []

    mutating func report(_ key: String, _ node: Node?, _ message: String) {
        problems.append(ConfigProblem(key: key, line: node?.mark?.line, message: message))
    }

    /// The mapping at `key`, with its keys checked against `allowed`.
    mutating func mapping(_ node: Node?, at key: String, allowed: [String]) -> [(String, Node)]? {
        guard let node else { return nil }
        guard let mapping = node.mapping else {
            report(key, node, "expected a mapping of keys to values")
            return nil
        }
        var pairs: [(String, Node)] = []
        for (keyNode, value) in mapping {
            guard let name = keyNode.string else {
                report(key, keyNode, "keys must be strings")
                continue
            }
            let path = key.isEmpty ? name : "\(key).\(name)"
            if !allowed.isEmpty && !allowed.contains(name) {
                let hint = allowed.first { Self.isNearMiss(name, $0) }.map { " (did you mean \"\($0)\"?)" } ?? ""
                report(path, keyNode, "unknown key\(hint); expected one of: \(allowed.joined(separator: ", "))")
                continue
            }
            pairs.append((name, value))
        }
        return pairs
    }

    mutating func string(_ node: Node, at key: String) -> String? {
        guard case .scalar(let scalar) = node, !scalar.string.isEmpty else {
            report(key, node, "expected a non-empty string")
            return nil
        }
        return scalar.string
    }

    mutating func absolutePath(_ node: Node, at key: String) -> String? {
        guard let path = string(node, at: key) else { return nil }
        guard path.hasPrefix("/") else {
            report(key, node, "\"\(path)\" is a relative path; give an absolute one")
            return nil
        }
        return path
    }

    mutating func integer(_ node: Node, at key: String, in range: ClosedRange<Int>) -> Int? {
        guard let value = node.int else {
            report(key, node, "expected a whole number")
            return nil
        }
        guard range.contains(value) else {
            report(key, node, "\(value) is out of range \(range.lowerBound)-\(range.upperBound)")
            return nil
        }
        return value
    }

    mutating func strings(_ node: Node, at key: String) -> [String] {
        guard let sequence = node.sequence else {
            report(key, node, "expected a list")
            return []
        }
        return sequence.enumerated().compactMap { index, item in string(item, at: "\(key)[\(index)]") }
    }

    mutating func name(_ name: String, at key: String, _ node: Node) -> Bool {
        let allowed = name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" }
        if !allowed || name.count > 64 {
            report(key, node, "\"\(name)\" is not a valid name: use 1-64 of a-z, 0-9, '-' and '_'")
        }
        return allowed && name.count <= 64
    }

    mutating func daemonConfig(_ root: Node?) -> DaemonConfig? {
        guard let root else {
            report("", nil, "the file is empty")
            return nil
        }
        let keys = [
            "state_dir", "socket", "socket_group", "compression", "targets", "sets", "jobs", "stores", "access", "audit", "limits", "http",
        ]
        guard let pairs = mapping(root, at: "", allowed: keys) else { return nil }
        let values = Dictionary(pairs, uniquingKeysWith: { first, _ in first })
        for required in ["state_dir", "socket", "targets", "sets"] where values[required] == nil {
            report(required, root, "missing; it is required")
        }
        let state = values["state_dir"].flatMap { absolutePath($0, at: "state_dir") }
        let socket = values["socket"].flatMap { absolutePath($0, at: "socket") }
        let group = values["socket_group"].flatMap { string($0, at: "socket_group") }
        var level = 2
        var threads: Int?
        if let compression = mapping(values["compression"], at: "compression", allowed: ["level", "threads"]) {
            for (key, node) in compression {
                if key == "level" { level = integer(node, at: "compression.level", in: 0...9) ?? level }
                if key == "threads" { threads = integer(node, at: "compression.threads", in: 1...256) }
            }
        }
        let targets = self.targets(values["targets"])
        let sets = self.sets(values["sets"], targets: targets.map(\.name))
        let jobs = self.jobs(values["jobs"], sets: sets.map(\.name))
        let stores = self.stores(values["stores"], stateDirectory: state)
        var access: DaemonConfig.Access?
        if let node = values["access"], let roles = mapping(node, at: "access", allowed: ["read", "operate", "admin"]) {
            var rules = DaemonConfig.Access()
            for (role, list) in roles {
                let found = principals(list, at: "access.\(role)")
                switch role {
                case "read": rules.read = found
                case "operate": rules.operate = found
                default: rules.admin = found
                }
            }
            access = rules
        }
        var audit = DaemonConfig.Audit()
        if let settings = mapping(values["audit"], at: "audit", allowed: ["rotate_at", "keep"]) {
            for (key, node) in settings {
                if key == "keep" { audit.keep = integer(node, at: "audit.keep", in: 1...1000) ?? audit.keep }
                if key == "rotate_at", let text = string(node, at: "audit.rotate_at") {
                    if let bytes = SizeText.bytes(text), bytes >= 4096, bytes <= 1 << 40 {
                        audit.rotateAt = Int(bytes)
                    } else {
                        report("audit.rotate_at", node, "\"\(text)\" is not a size from 4KiB to 1TiB, like 16MiB")
                    }
                }
            }
        }
        let limits = self.limits(values["limits"])
        let http = self.http(values["http"])
        guard let state, let socket else { return nil }
        var config = DaemonConfig(
            stateDirectory: state, socketPath: socket, socketGroup: group, compressionLevel: level,
            compressionThreads: threads, targets: targets, sets: sets, jobs: jobs, stores: stores, access: access)
        config.audit = audit
        config.limits = limits
        config.http = http
        return config
    }

    /// `limits:` (docs/configuration.md, "Limits").
    mutating func limits(_ node: Node?) -> DaemonConfig.Limits {
        var limits = DaemonConfig.Limits()
        let keys = ["connections", "idle_timeout", "restores_per_caller", "verifies_per_caller"]
        guard let settings = mapping(node, at: "limits", allowed: keys) else { return limits }
        for (key, node) in settings {
            switch key {
            case "connections": limits.connections = integer(node, at: "limits.connections", in: 4...65536) ?? limits.connections
            case "restores_per_caller":
                limits.restoresPerCaller = integer(node, at: "limits.restores_per_caller", in: 1...1024) ?? limits.restoresPerCaller
            case "verifies_per_caller":
                limits.verifiesPerCaller = integer(node, at: "limits.verifies_per_caller", in: 1...1024) ?? limits.verifiesPerCaller
            default:
                guard let text = string(node, at: "limits.idle_timeout") else { continue }
                if let seconds = DurationText.seconds(text), seconds >= 1, seconds <= 86_400 {
                    limits.idleTimeout = seconds
                } else {
                    report("limits.idle_timeout", node, "\"\(text)\" is not a duration from 1s to 24h, like 10m")
                }
            }
        }
        return limits
    }

    /// A list of `user:NAME`, `group:NAME`, `uid:N`, `gid:N`, names looked up on this machine.
    mutating func principals(_ node: Node, at key: String) -> [DaemonConfig.Principal] {
        var found: [DaemonConfig.Principal] = []
        for (index, text) in strings(node, at: key).enumerated() {
            let at = "\(key)[\(index)]"
            let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[1].isEmpty else {
                report(at, node, "\"\(text)\" is not a caller: use user:NAME, group:NAME, uid:N or gid:N")
                continue
            }
            let value = parts[1]
            switch parts[0] {
            case "user":
                guard let uid = ProcessFacts.userID(named: value) else {
                    report(at, node, "no user \"\(value)\" on this machine")
                    continue
                }
                found.append(DaemonConfig.Principal(kind: .user, id: uid, text: text))
            case "group":
                guard let gid = ProcessFacts.groupID(named: value) else {
                    report(at, node, "no group \"\(value)\" on this machine")
                    continue
                }
                found.append(DaemonConfig.Principal(kind: .group, id: gid, text: text))
            case "uid", "gid":
                guard let id = UInt32(value) else {
                    report(at, node, "\"\(value)\" is not a number")
                    continue
                }
                found.append(DaemonConfig.Principal(kind: parts[0] == "uid" ? .user : .group, id: id, text: text))
            default:
                report(at, node, "\"\(text)\" is not a caller: use user:NAME, group:NAME, uid:N or gid:N")
            }
        }
        return found
    }

    mutating func sets(_ node: Node?, targets: [String]) -> [DaemonConfig.BackupSet] {
        guard let pairs = mapping(node, at: "sets", allowed: []) else { return [] }
        if pairs.isEmpty { report("sets", node, "no sets: configure at least one") }
        var sets: [DaemonConfig.BackupSet] = []
        for (name, value) in pairs {
            let key = "sets.\(name)"
            guard self.name(name, at: key, value),
                let fields = mapping(
                    value, at: key,
                    allowed: [
                        "paths", "exclude", "targets", "triggers", "watch", "debounce", "retention", "incremental", "full_every",
                        "access", "encryption", "capture_dir", "rpo",
                    ])
            else {
                continue
            }
            let values = Dictionary(fields, uniquingKeysWith: { first, _ in first })
            var set = DaemonConfig.BackupSet(name: name, paths: [], targets: [])
            if let paths = values["paths"] {
                for (index, item) in (paths.sequence.map(Array.init) ?? []).enumerated() {
                    if let path = absolutePath(item, at: "\(key).paths[\(index)]") { set.paths.append(path) }
                }
                if paths.sequence == nil { report("\(key).paths", paths, "expected a list of absolute paths") }
                if paths.sequence?.isEmpty == true { report("\(key).paths", paths, "the list is empty") }
            } else {
                report("\(key).paths", value, "missing; it is required")
            }
            if let exclude = values["exclude"] {
                for (index, text) in strings(exclude, at: "\(key).exclude").enumerated() {
                    do { set.excludes.append(try PathPattern(text)) } catch {
                        report("\(key).exclude[\(index)]", exclude, error.reason)
                    }
                }
            }
            if let targetList = values["targets"] {
                set.targets = strings(targetList, at: "\(key).targets")
                for target in set.targets where !targets.contains(target) {
                    report("\(key).targets", targetList, "no target named \"\(target)\" (targets: \(targets.joined(separator: ", ")))")
                }
                if set.targets.isEmpty { report("\(key).targets", targetList, "the list is empty") }
                for (index, target) in set.targets.enumerated() where set.targets[..<index].contains(target) {
                    report("\(key).targets", targetList, "target \"\(target)\" is named twice")
                }
            } else if targets.count == 1 {
                set.targets = targets
            } else {
                report("\(key).targets", value, "missing; with several targets, say which this set uses")
            }
            if let triggerList = values["triggers"] {
                for (index, text) in strings(triggerList, at: "\(key).triggers").enumerated() {
                    guard let trigger = DaemonConfig.Trigger(rawValue: text) else {
                        let known = DaemonConfig.Trigger.allCases.map(\.rawValue).joined(separator: ", ")
                        report("\(key).triggers[\(index)]", triggerList, "\"\(text)\" is not a trigger; use \(known)")
                        continue
                    }
                    if !set.triggers.contains(trigger) { set.triggers.append(trigger) }
                }
            }
            if let node = values["capture_dir"], let folder = absolutePath(node, at: "\(key).capture_dir") {
                if let holder = set.paths.first(where: { folder == $0 || folder.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }) {
                    report(
                        "\(key).capture_dir", node,
                        "\(folder) is inside the set's path \(holder), so backups of the set would hold the captures; put it beside the checkpoints, on the same file system"
                    )
                } else {
                    set.captureDirectory = folder
                }
            }
            if let node = values["rpo"], let text = string(node, at: "\(key).rpo") {
                if let seconds = DurationText.seconds(text), seconds >= 60 {
                    set.rpo = seconds
                } else {
                    report("\(key).rpo", node, "\"\(text)\" is not a recovery point objective of 1m or more, like 6h")
                }
            }
            watchSettings(values, of: value, at: key, into: &set)
            incrementalSettings(values, at: key, into: &set)
            encryptionSettings(values, at: key, into: &set)
            if set.encryption != nil && set.incremental.isEnabled && set.fullEvery == nil {
                // Sealed archives cannot be carried forward; a regular full bounds what restores need.
                set.fullEvery = DaemonConfig.BackupSet.Encryption.defaultFullEvery
            }
            if let node = values["access"] {
                set.access = principals(node, at: "\(key).access")
                if set.access?.isEmpty == true && node.sequence?.isEmpty == true {
                    report("\(key).access", node, "the list is empty: name who may use the set, or leave the key out")
                }
            }
            sets.append(set)
        }
        return sets
    }

    /// `watch:` and `debounce:`, which belong to the `config_change` trigger: one without the
    /// other is a mistake worth naming rather than a setting that silently does nothing.
    mutating func watchSettings(_ values: [String: Node], of node: Node, at key: String, into set: inout DaemonConfig.BackupSet) {
        if let watch = values["watch"] {
            for (index, item) in (watch.sequence.map(Array.init) ?? []).enumerated() {
                if let path = absolutePath(item, at: "\(key).watch[\(index)]") {
                    set.watch.append(path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path)
                }
            }
            if watch.sequence == nil { report("\(key).watch", watch, "expected a list of absolute paths (files or directories)") }
            if watch.sequence?.isEmpty == true { report("\(key).watch", watch, "the list is empty") }
        }
        if let debounce = values["debounce"] {
            if let text = string(debounce, at: "\(key).debounce") {
                if let seconds = DurationText.seconds(text), seconds <= 3600 {
                    set.debounce = seconds
                } else {
                    report("\(key).debounce", debounce, "\"\(text)\" is not a quiet period between 1s and 1h, like 5s or 2m")
                }
            }
        }
        if let retention = values["retention"] { set.retention = self.retention(retention, at: "\(key).retention") }
        let listens = set.listens(to: .configChange)
        if listens && values["watch"] == nil {
            report("\(key).watch", node, "missing; the config_change trigger needs the files or directories to watch")
        }
        if !listens {
            for setting in ["watch", "debounce"] where values[setting] != nil {
                report("\(key).\(setting)", values[setting], "only used by the config_change trigger; add config_change to \(key).triggers")
            }
        }
    }

    /// True when `a` is one edit (or one swap) away from `b`, for "did you mean" hints.
    static func isNearMiss(_ a: String, _ b: String) -> Bool {
        let x = Array(a), y = Array(b)
        if abs(x.count - y.count) > 1 || x == y { return false }
        var previous = Array(0...y.count)
        for i in 1...max(x.count, 1) where !x.isEmpty {
            var current = [i] + Array(repeating: 0, count: y.count)
            for j in 1...max(y.count, 1) where !y.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[y.count] <= 2
    }
}
