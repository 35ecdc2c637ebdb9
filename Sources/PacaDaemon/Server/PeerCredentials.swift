import CPacaSystem
import NIOCore
import PacaSystem

/// The process at the other end of a Unix socket, as the kernel reports it (SO_PEERCRED): it
/// cannot be forged by the client.
struct PeerCredentials: Sendable, Equatable {
    var pid: Int32
    var uid: UInt32
    var gid: UInt32

    /// Reads the credentials of `channel`'s peer. Runs on the channel's event loop.
    static func of(_ channel: any Channel) -> EventLoopFuture<PeerCredentials> {
        guard let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeFailedFuture(ChannelError.operationUnsupported)
        }
        let future: EventLoopFuture<paca_peer_credentials> = provider.unsafeGetSocketOption(
            level: .socket, name: NIOBSDSocket.Option(rawValue: paca_so_peercred()))
        return future.map { PeerCredentials(pid: $0.pid, uid: $0.uid, gid: $0.gid) }
    }

    /// The supplementary groups of the peer process, from `/proc/<pid>/status`; empty when the
    /// process is gone or the file cannot be read.
    var supplementaryGroups: [UInt32] { ProcessFacts.supplementaryGroups(of: pid) }
}
