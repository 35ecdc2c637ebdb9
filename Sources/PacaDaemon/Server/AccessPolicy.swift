public import PacaConfig
public import PacaProtocol

/// Who is calling: what the kernel says of the peer (SO_PEERCRED) and its supplementary groups.
public struct Caller: Sendable, Equatable {
    public var uid: UInt32
    public var gid: UInt32
    public var groups: [UInt32]
    public var pid: Int32
    /// The program the peer runs (`/proc/<pid>/exe`), for the audit log; nil where pacad may not
    /// read it (another user's process, without `CAP_SYS_PTRACE`).
    public var executable: String?
    /// The peer's command name (`/proc/<pid>/comm`), for the audit log: what the peer claims.
    public var command: String?

    public init(
        uid: UInt32, gid: UInt32, groups: [UInt32] = [], pid: Int32 = 0, executable: String? = nil, command: String? = nil
    ) {
        self.uid = uid
        self.gid = gid
        self.groups = groups
        self.pid = pid
        self.executable = executable
        self.command = command
    }

    /// Whether `principal` names this caller (its user, or a group it is in).
    func isNamed(by principal: DaemonConfig.Principal) -> Bool { principal.matches(uid: uid, gid: gid, groups: groups) }
}

/// Who may do what. Pure: the role of a caller, and the sets it may use.
///
/// Root and the daemon's own user are admins. With `access:`, a caller has the highest role
/// whose list names its user or one of its groups, and none otherwise. Without it, members of
/// `socket_group` operate (back up, trigger, verify, restore) and nobody else gets in. A set with
/// `access:` is seen, backed up and restored only by admins and the callers its list names.
public struct AccessPolicy: Sendable, Equatable {
    public var ownUID: UInt32
    /// The gid of `socket_group`, when one is configured.
    public var groupID: UInt32?
    public var access: DaemonConfig.Access?
    /// Sets narrowed to some callers (`sets.NAME.access`).
    public var sets: [String: [DaemonConfig.Principal]]

    public init(ownUID: UInt32, groupID: UInt32?, access: DaemonConfig.Access? = nil, sets: [String: [DaemonConfig.Principal]] = [:]) {
        self.ownUID = ownUID
        self.groupID = groupID
        self.access = access
        self.sets = sets
    }

    /// The policy `config` describes, for a daemon running as `ownUID` with socket group `groupID`.
    public init(config: DaemonConfig, ownUID: UInt32, groupID: UInt32?) {
        var narrowed: [String: [DaemonConfig.Principal]] = [:]
        for set in config.sets { if let access = set.access { narrowed[set.name] = access } }
        self.init(ownUID: ownUID, groupID: groupID, access: config.access, sets: narrowed)
    }

    /// The caller's role, or nil when it may not use the daemon at all.
    public func role(of caller: Caller) -> Role? {
        if caller.uid == 0 || caller.uid == ownUID { return .admin }
        guard let access else {
            guard let groupID, caller.gid == groupID || caller.groups.contains(groupID) else { return nil }
            return .operate
        }
        if access.admin.contains(where: caller.isNamed) { return .admin }
        if access.operate.contains(where: caller.isNamed) { return .operate }
        if access.read.contains(where: caller.isNamed) { return .read }
        return nil
    }

    /// True when a peer with `uid`, primary `gid` and supplementary `groups` may use the socket.
    public func allows(uid: UInt32, gid: UInt32, groups: [UInt32]) -> Bool {
        role(of: Caller(uid: uid, gid: gid, groups: groups)) != nil
    }

    /// True when the caller may see, back up and restore set `name`.
    public func mayUse(set name: String, _ caller: Caller) -> Bool {
        guard let allowed = sets[name] else { return role(of: caller) != nil }
        return role(of: caller) == .admin || allowed.contains(where: caller.isNamed)
    }

    /// Who may use a narrowed set, for messages.
    func users(of set: String) -> String {
        (sets[set] ?? []).map(\.text).joined(separator: ", ")
    }
}
