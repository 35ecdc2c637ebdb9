import NIOCore
import PacaProtocol
import PacaSystem
import Synchronization

/// Splits a connection's bytes into frame payloads with ``FrameDecoder`` (so the server and the
/// client share one framing implementation), refuses a frame over the limit as soon as its length
/// prefix arrives, and tells the connection's ``StallWatch`` when a partial frame is waiting.
final class FrameHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = [UInt8]

    private var decoder: FrameDecoder
    private let watch: StallWatch
    private var isFailed = false

    init(maximumSize: Int, watch: StallWatch) {
        decoder = FrameDecoder(maximumSize: maximumSize)
        self.watch = watch
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !isFailed else { return }
        let buffer = unwrapInboundIn(data)
        decoder.append(buffer.readableBytesView)
        do {
            while let payload = try decoder.next() {
                context.fireChannelRead(wrapInboundOut(payload))
            }
        } catch {
            isFailed = true
            watch.bytesArrived(partialFrame: false)
            context.fireErrorCaught(error)
            return
        }
        watch.bytesArrived(partialFrame: decoder.pendingByteCount > 0)
    }
}

/// Times a connection's partial frames on the server's clock: one that gets no new bytes for the
/// stall timeout ends the connection. A connection idle between whole frames is not stalled.
final class StallWatch: Sendable {
    private let clock: ServiceClock
    private let timeout: Duration
    /// When the bytes of the partial frame waiting last arrived (clock uptime), or nil.
    private let partialSince = Mutex<Duration?>(nil)
    private let alarm = Alarm()
    private let countdowns = Atomic(0)

    /// How many partial frames started a countdown (each woke the watcher once).
    var countdownsStarted: Int { countdowns.load(ordering: .relaxed) }

    init(clock: ServiceClock, timeout: Duration) {
        self.clock = clock
        self.timeout = timeout
    }

    /// Bytes came in; `partialFrame` says whether part of a frame is left waiting.
    ///
    /// Only a partial frame where there was none wakes the watcher, to start its countdown. A
    /// frame completed needs no wake-up (the watcher finds nothing waiting when its countdown
    /// ends), nor do more bytes of the same frame (it counts again from the newer time then), so
    /// whole frames, the usual case, cost no timer at all.
    func bytesArrived(partialFrame: Bool) {
        let now = partialFrame ? clock.uptime : nil
        let starts = partialSince.withLock { since -> Bool in
            defer { since = now }
            return since == nil && now != nil
        }
        if starts {
            countdowns.add(1, ordering: .relaxed)
            alarm.wake()
        }
    }

    /// Returns when a partial frame has waited the whole timeout (or when cancelled).
    func waitForStall() async {
        while !Task.isCancelled {
            guard let since = partialSince.withLock({ $0 }) else {
                await alarm.sleep(for: .seconds(86_400), on: clock)  // until a partial frame wakes it
                continue
            }
            if clock.uptime >= since + timeout { return }
            await alarm.sleep(until: since + timeout, on: clock)
        }
    }
}
