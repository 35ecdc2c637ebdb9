/// Who may talk to the daemon: root, the daemon's own user, and members of the configured socket
/// group. Pure; the server feeds it the peer's credentials from SO_PEERCRED and the groups of the
/// peer process.
public struct AccessPolicy: Sendable, Equatable {
    public var ownUID: UInt32
    /// The gid of `socket_group`, when one is configured.
    public var groupID: UInt32?

    public init(ownUID: UInt32, groupID: UInt32?) {
        self.ownUID = ownUID
        self.groupID = groupID
    }

    /// True when a peer with `uid`, primary `gid` and supplementary `groups` may use the socket.
    public func allows(uid: UInt32, gid: UInt32, groups: [UInt32]) -> Bool {
        if uid == 0 || uid == ownUID { return true }
        guard let groupID else { return false }
        return gid == groupID || groups.contains(groupID)
    }
}
