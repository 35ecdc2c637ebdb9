import PacaSystem

/// Where to find pacad's socket, in the order `pacactl` tries them: the one named (`--socket`),
/// else `$PACA_SOCKET`, else `./.paca/pacad.sock` when it exists (the embedded default), else
/// `/run/paca/pacad.sock` (under systemd).
public enum SocketLocation {
    public static let systemPath = "/run/paca/pacad.sock"
    public static let embeddedDefaultPath = ".paca/pacad.sock"

    /// The paths to try, in order.
    public static func candidates(named explicit: String? = nil) -> [String] {
        if let explicit { return [explicit] }
        if let variable = ProcessFacts.environment("PACA_SOCKET"), !variable.isEmpty { return [variable] }
        var paths: [String] = []
        if Syscall.exists(embeddedDefaultPath) { paths.append(embeddedDefaultPath) }
        paths.append(systemPath)
        return paths
    }
}
