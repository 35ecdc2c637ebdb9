/// How many long operations each caller has running, so that one caller cannot make pacad read
/// every archive at once (`limits.verifies_per_caller`). Restore sessions are counted by the
/// engine, which owns them (`limits.restores_per_caller`).
public actor CallerQuota {
    public enum Kind: String, Sendable {
        case verify
    }

    private struct Key: Hashable {
        var kind: Kind
        var uid: UInt32
    }

    private var running: [Key: Int] = [:]

    public init() {}

    /// Counts one more `kind` for `uid`, or returns false when it already has `limit` running.
    public func begin(_ kind: Kind, uid: UInt32, limit: Int) -> Bool {
        let key = Key(kind: kind, uid: uid)
        guard running[key, default: 0] < limit else { return false }
        running[key, default: 0] += 1
        return true
    }

    public func end(_ kind: Kind, uid: UInt32) {
        let key = Key(kind: kind, uid: uid)
        running[key, default: 1] -= 1
        if running[key] == 0 { running[key] = nil }
    }
}
