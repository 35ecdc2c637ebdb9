import PacaCore
import Yams

extension NodeReader {
    /// `stores:`: each `type: memory | file | sqlite | cache`. File and SQLite stores take a
    /// `path` (default `<state_dir>/stores/<name>.log` or `.sqlite`) and `index:`, a list of
    /// dotted fields; a cache takes `of:` (another store), `capacity:` and `ttl:`.
    mutating func stores(_ node: Node?, stateDirectory: String?) -> [DaemonConfig.Store] {
        guard let node, let pairs = mapping(node, at: "stores", allowed: []) else { return [] }
        var stores: [DaemonConfig.Store] = []
        /// Each cache's `of:` node, for messages about the store it names.
        var cacheOf: [String: Node] = [:]
        for (name, value) in pairs {
            let key = "stores.\(name)"
            guard self.name(name, at: key, value) else { continue }
            if name == "catalog" {
                report(key, value, "\"catalog\" is the backup catalog's own store; choose another name")
                continue
            }
            guard let fields = mapping(value, at: key, allowed: ["type", "path", "index", "of", "capacity", "ttl"]) else { continue }
            let values = Dictionary(fields, uniquingKeysWith: { first, _ in first })
            guard let typeNode = values["type"], let type = string(typeNode, at: "\(key).type") else {
                if values["type"] == nil { report("\(key).type", value, "missing; it is required (memory, file, sqlite or cache)") }
                continue
            }
            let allowed: [String]
            switch type {
            case "memory": allowed = ["type", "index"]
            case "file", "sqlite": allowed = ["type", "path", "index"]
            case "cache": allowed = ["type", "of", "capacity", "ttl"]
            default:
                report("\(key).type", typeNode, "unknown store type \"\(type)\"; expected memory, file, sqlite or cache")
                continue
            }
            for (field, fieldNode) in fields where !allowed.contains(field) {
                report("\(key).\(field)", fieldNode, "not a setting of a \(type) store; it takes \(allowed.joined(separator: ", "))")
            }
            var index: [String] = []
            if let indexNode = values["index"] {
                for (position, field) in strings(indexNode, at: "\(key).index").enumerated() {
                    if field.contains("\"") || field.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty) {
                        report("\(key).index[\(position)]", indexNode, "\"\(field)\" is not a dotted field name like user.city")
                    } else {
                        index.append(field)
                    }
                }
            }
            let defaultPath = stateDirectory.map { "\($0)/stores/\(name).\(type == "file" ? "log" : "sqlite")" }
            switch type {
            case "memory":
                stores.append(DaemonConfig.Store(name: name, kind: .memory, index: index))
            case "file", "sqlite":
                guard let path = values["path"].map({ absolutePath($0, at: "\(key).path") }) ?? defaultPath else { continue }
                stores.append(DaemonConfig.Store(name: name, kind: type == "file" ? .file(path: path) : .sqlite(path: path), index: index))
            default:
                guard let ofNode = values["of"], let of = string(ofNode, at: "\(key).of") else {
                    if values["of"] == nil { report("\(key).of", value, "missing; a cache names the store it sits in front of") }
                    continue
                }
                cacheOf[name] = ofNode
                var capacity = 10_000
                if let node = values["capacity"] { capacity = integer(node, at: "\(key).capacity", in: 1...10_000_000) ?? capacity }
                var ttl: Int64 = 60
                if let node = values["ttl"], let text = string(node, at: "\(key).ttl") {
                    if let seconds = DurationText.seconds(text) {
                        ttl = seconds
                    } else {
                        report("\(key).ttl", node, "\"\(text)\" is not a duration like 30s, 5m or 1h")
                    }
                }
                stores.append(DaemonConfig.Store(name: name, kind: .cache(of: of, capacity: capacity, ttl: ttl)))
            }
        }
        for store in stores {
            guard case .cache(let of, _, _) = store.kind, let ofNode = cacheOf[store.name] else { continue }
            guard let backing = stores.first(where: { $0.name == of }) else {
                report(
                    "stores.\(store.name).of", ofNode, "no store named \"\(of)\" (stores: \(stores.map(\.name).joined(separator: ", ")))")
                continue
            }
            if case .cache = backing.kind {
                report("stores.\(store.name).of", ofNode, "a cache sits in front of a memory, file or sqlite store, not another cache")
            }
        }
        var paths: [String: String] = [:]
        for store in stores {
            let path: String
            switch store.kind {
            case .file(let file): path = file
            case .sqlite(let file): path = file
            default: continue
            }
            if let other = paths[path] { report("stores.\(store.name).path", node, "\(path) is already the file of store \"\(other)\"") }
            paths[path] = store.name
        }
        return stores
    }
}
