import NIOCore
import PacaProtocol

/// Splits a connection's bytes into frame payloads with ``FrameDecoder`` (so the server and the
/// client share one framing implementation), refuses a frame over the limit as soon as its length
/// prefix arrives, and closes a connection whose partial frame makes no progress for `stallTimeout`.
final class FrameHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = [UInt8]

    private var decoder: FrameDecoder
    private let stallTimeout: TimeAmount
    private var stallTimer: Scheduled<Void>?
    private var isFailed = false

    init(maximumSize: Int, stallTimeout: TimeAmount) {
        decoder = FrameDecoder(maximumSize: maximumSize)
        self.stallTimeout = stallTimeout
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
            stallTimer?.cancel()
            context.fireErrorCaught(error)
            return
        }
        stallTimer?.cancel()
        stallTimer = nil
        if decoder.pendingByteCount > 0 {
            let channel = context.channel
            stallTimer = context.eventLoop.scheduleTask(in: stallTimeout) {
                channel.close(promise: nil)
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        stallTimer?.cancel()
        stallTimer = nil
        context.fireChannelInactive()
    }
}
