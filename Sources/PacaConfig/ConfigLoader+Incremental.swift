import Yams

extension NodeReader {
    /// `incremental:` (false, true, or a mapping of `max_sources` and `min_live`) and `full_every:`.
    mutating func incrementalSettings(_ values: [String: Node], at key: String, into set: inout DaemonConfig.BackupSet) {
        if let node = values["incremental"] {
            if let flag = node.bool {
                set.incremental.isEnabled = flag
            } else if node.mapping == nil {
                report("\(key).incremental", node, "expected true, false, or a mapping of max_sources and min_live")
            } else if let fields = mapping(node, at: "\(key).incremental", allowed: ["max_sources", "min_live"]) {
                for (name, value) in fields {
                    switch name {
                    case "max_sources":
                        if let count = integer(value, at: "\(key).incremental.max_sources", in: 1...1000) {
                            set.incremental.maxSources = count
                        }
                    default:
                        if let share = value.float, (0...1).contains(share) {
                            set.incremental.minLive = share
                        } else {
                            report("\(key).incremental.min_live", value, "expected a share between 0 and 1, like 0.5")
                        }
                    }
                }
            }
        }
        if let node = values["full_every"] {
            set.fullEvery = integer(node, at: "\(key).full_every", in: 1...100_000)
            if !set.incremental.isEnabled && set.fullEvery != nil {
                report("\(key).full_every", node, "every backup of this set is full already (incremental: false)")
            }
        }
    }
}
