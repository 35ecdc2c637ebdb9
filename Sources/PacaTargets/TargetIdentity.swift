import Crypto
public import PacaCore
public import PacaSystem
import Synchronization

/// What `<root>/.paca-target` says: which target a folder is, by a random id pacad wrote the
/// first time it delivered there. A directory target whose root lacks it (an empty mount point
/// where a disk should be, another disk) gets no archive, so nothing vanishes under a disk
/// mounted later.
public struct TargetMarker: Sendable, Equatable {
    public static let fileName = ".paca-target"

    public var target: String
    public var id: String
    public var createdAt: String

    public init(target: String, id: String, createdAt: String) {
        self.target = target
        self.id = id
        self.createdAt = createdAt
    }

    /// A new marker for target `name`: 128 random bits, hex.
    public static func fresh(for name: String, at unixSeconds: Int64) -> TargetMarker {
        var generator = SystemRandomNumberGenerator()
        let id = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }.hexString
        return TargetMarker(target: name, id: id, createdAt: CivilTime(unixSeconds: unixSeconds).rfc3339)
    }

    var json: [UInt8] {
        JSONValue.object([
            "format": .string("paca.target"), "target": .string(target), "id": .string(id), "created_at": .string(createdAt),
        ]).serialized + [0x0A]
    }

    init?(json bytes: [UInt8]) {
        guard case .object(let members)? = try? JSONValue.parse(bytes), members["format"] == .string("paca.target"),
            case .string(let target)? = members["target"], case .string(let id)? = members["id"], !id.isEmpty
        else { return nil }
        self.target = target
        self.id = id
        if case .string(let created)? = members["created_at"] { createdAt = created } else { createdAt = "" }
    }
}

/// The ids of the targets this daemon has delivered to (`<state_dir>/targets.json`): a root
/// whose marker is not the one recorded here is not this target's.
public final class TargetIdentities: Sendable {
    public let path: String
    private let ids: Mutex<[String: String]>

    public init(stateDirectory: String) {
        path = stateDirectory + "/targets.json"
        var loaded: [String: String] = [:]
        if let bytes = try? DurableFile.read(path), case .object(let members)? = try? JSONValue.parse(bytes) {
            for (name, value) in members { if case .string(let id) = value { loaded[name] = id } }
        }
        ids = Mutex(loaded)
    }

    /// The id recorded for target `name`, if pacad has claimed its root.
    public func id(of name: String) -> String? { ids.withLock { $0[name] } }

    /// Records `id` for target `name` (durably: written, synced, renamed).
    public func record(_ id: String, for name: String) throws(SystemError) {
        let snapshot = ids.withLock { ids -> [String: String] in
            ids[name] = id
            return ids
        }
        let document = JSONValue.object(snapshot.mapValues(JSONValue.string)).serialized + [0x0A]
        try DurableFile.replace(path, with: document, permissions: 0o600)
    }
}
