import Crypto
import PacaCore
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
    private let file: StringMapFile
    public var path: String { file.path }

    public init(stateDirectory: String) { file = StringMapFile(stateDirectory + "/targets.json") }

    /// The id recorded for target `name`, if pacad has claimed its root.
    public func id(of name: String) -> String? { file.value(name) }

    /// Records `id` for target `name` (durably: written, synced, renamed).
    public func record(_ id: String, for name: String) throws(SystemError) { try file.set(name, id) }
}

/// A small JSON object of strings in a file of the state directory, held in memory and written
/// whole (synced, renamed) at each change.
final class StringMapFile: Sendable {
    let path: String
    private let values: Mutex<[String: String]>

    init(_ path: String) {
        self.path = path
        var loaded: [String: String] = [:]
        if let bytes = try? DurableFile.read(path), case .object(let members)? = try? JSONValue.parse(bytes) {
            for (key, value) in members { if case .string(let text) = value { loaded[key] = text } }
        }
        values = Mutex(loaded)
    }

    func value(_ key: String) -> String? { values.withLock { $0[key] } }

    /// Sets `key` to `value` (nil removes it) and writes the file.
    func set(_ key: String, _ value: String?) throws(SystemError) {
        let snapshot = values.withLock { values -> [String: String] in
            values[key] = value
            return values
        }
        try DurableFile.replace(path, with: JSONValue.object(snapshot.mapValues(JSONValue.string)).serialized + [0x0A], permissions: 0o600)
    }
}

/// What to do about a target's root (a folder, a bucket prefix) and its marker: pure, so each
/// kind of target only reads and writes.
public enum TargetClaim: Sendable, Equatable {
    /// The root carries the recorded marker.
    case confirmed
    /// A marker and no id recorded yet (a new state directory): take the marker's id.
    case recordExisting(String)
    /// No marker: write a new one (`adopting` a root from before markers, else a new root).
    case writeNew(adopting: Bool)
    /// No marker where there should be one.
    case refuseUnmarked(deliveredBefore: Bool)
    /// Another target's marker.
    case refuseForeign(TargetMarker, expected: String)

    /// The decision at a claim: `known` is the recorded id, `marker` what the root carries,
    /// `lastDelivered` the catalog's newest delivery there and `lastDeliveredIsThere` whether the
    /// root has it.
    public static func decide(known: String?, marker: TargetMarker?, lastDelivered: String?, lastDeliveredIsThere: Bool) -> TargetClaim {
        if let marker {
            if marker.id == known { return .confirmed }
            if let known { return .refuseForeign(marker, expected: known) }
            return .recordExisting(marker.id)
        }
        if known != nil { return .refuseUnmarked(deliveredBefore: true) }
        guard lastDelivered != nil else { return .writeNew(adopting: false) }
        return lastDeliveredIsThere ? .writeNew(adopting: true) : .refuseUnmarked(deliveredBefore: true)
    }

    /// The check before a write or a removal: only a root with the recorded marker passes.
    public static func check(known: String?, marker: TargetMarker?) -> TargetClaim {
        guard let known else { return .refuseUnmarked(deliveredBefore: false) }
        guard let marker else { return .refuseUnmarked(deliveredBefore: true) }
        return marker.id == known ? .confirmed : .refuseForeign(marker, expected: known)
    }
}

extension TargetClaim {
    /// Why a root is refused, for people: `missing` says what is not there, `kind` what the root
    /// lives on ("disk", "bucket or prefix").
    func explanation(root: String, missing: String, name: String, kind: String) -> String {
        switch self {
        case .refuseUnmarked(let deliveredBefore):
            return "\(missing): is its \(kind == "disk" ? "disk mounted" : "\(kind) right")? "
                + (deliveredBefore ? "pacad delivered there before and will not write where it is not sure it is the target. " : "")
                + "If this is the target, `pacactl target init \(name)` adopts it."
        case .refuseForeign(let marker, let expected):
            return
                "\(root) belongs to another target (its \(TargetMarker.fileName) names \"\(marker.target)\", id \(marker.id); this target's id is \(expected)): is the right \(kind) there? `pacactl target init \(name)` adopts it instead."
        case .confirmed, .recordExisting, .writeNew:
            return "\(root) is this target"
        }
    }
}

/// The multipart uploads this machine has started and not finished (`<state_dir>/uploads.json`:
/// upload id to key). Several machines may share a bucket prefix; at start a target aborts only
/// the uploads listed here (a killed daemon's), never another machine's that is going on.
public final class UploadJournal: Sendable {
    private let file: StringMapFile
    public var path: String { file.path }

    public init(stateDirectory: String) { file = StringMapFile(stateDirectory + "/uploads.json") }

    /// Whether upload `id` was started by this machine and not yet finished.
    public func contains(_ id: String) -> Bool { file.value(id) != nil }

    /// Records upload `id` of `key` before any part of it is sent.
    public func started(_ id: String, key: String) throws(SystemError) { try file.set(id, key) }

    /// Forgets upload `id` (completed or aborted). A failure to write is left for the next start,
    /// which aborts an upload that is already gone without harm.
    public func ended(_ id: String) { try? file.set(id, nil) }
}
