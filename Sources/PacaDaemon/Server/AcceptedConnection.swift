import NIOCore
import Synchronization

/// A connection NIO accepted, as the accept loop receives it. If the loop never takes it (it
/// arrived as the daemon was stopping), its deinit still closes it through `executeThenClose`:
/// NIO traps when a wrapped channel is dropped without that.
final class AcceptedConnection: Sendable {
    let peer: PeerCredentials
    /// The stall timing its frame handler feeds.
    let stall: StallWatch
    private let channel: Mutex<NIOAsyncChannel<[UInt8], ByteBuffer>?>

    init(_ channel: NIOAsyncChannel<[UInt8], ByteBuffer>, peer: PeerCredentials, stall: StallWatch) {
        self.channel = Mutex(channel)
        self.peer = peer
        self.stall = stall
    }

    /// The channel, once; the caller must run `executeThenClose` on it.
    func take() -> NIOAsyncChannel<[UInt8], ByteBuffer>? {
        channel.withLock { current in
            defer { current = nil }
            return current
        }
    }

    deinit {
        if let unconsumed = take() {
            Task { try? await unconsumed.executeThenClose { _, _ in } }
        }
    }
}
