import CSystemd

/// A listening socket systemd passed in (`pacad.socket`): `LISTEN_FDS` and `LISTEN_PID`, read
/// through libsystemd's `sd_listen_fds`, which also unsets them so no child inherits them.
public enum SocketActivation {
    /// What systemd passed.
    public enum Found: Sendable, Equatable {
        /// None: pacad binds its own socket.
        case none
        /// A listening Unix stream socket, and whether it is bound at `path` (the configured socket).
        case socket(descriptor: Int32, isAtPath: Bool)
        /// Something pacad cannot serve on (a datagram socket, several sockets, not a socket).
        case unusable(String)
    }

    /// The socket systemd passed, checked against the configured `path`.
    public static func take(expecting path: String) -> Found {
        let count = sd_listen_fds(1)
        guard count > 0 else { return .none }
        guard count == 1 else {
            return .unusable("systemd passed \(count) sockets; pacad.socket must have exactly one ListenStream=")
        }
        let descriptor = paca_listen_fds_start()
        guard paca_is_listening_unix_stream(descriptor, nil) > 0 else {
            return .unusable("systemd passed a socket that is not a listening Unix stream socket; use ListenStream=/path in pacad.socket")
        }
        let isAtPath = path.withCString { paca_is_listening_unix_stream(descriptor, $0) } > 0
        return .socket(descriptor: descriptor, isAtPath: isAtPath)
    }
}
