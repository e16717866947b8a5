import MQTTCodec
import NIOCore

/// Splits the inbound byte stream into MQTT frames with ``MQTTFrameDecoder``.
///
/// A lean stand-in for NIO's `ByteToMessageHandler`: it keeps a buffer only while a packet is
/// incomplete, so an idle connection holds no decoding state beyond this object.
final class MQTTFrameHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = MQTTFrame

    private let decoder: MQTTFrameDecoder
    /// Bytes of a packet that has not fully arrived.
    private var partial: ByteBuffer?
    /// Set after a framing error: the connection is closing and nothing more is decoded.
    private var failed = false

    init(maximumPacketSize: Int) {
        self.decoder = MQTTFrameDecoder(maximumPacketSize: maximumPacketSize)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.failed else { return }
        var buffer = self.unwrapInboundIn(data)
        if var partial = self.partial {
            self.partial = nil
            partial.writeBuffer(&buffer)
            buffer = partial
        }
        do {
            while let frame = try self.decoder.decodeFrame(&buffer) {
                context.fireChannelRead(self.wrapInboundOut(frame))
                if self.failed { return }
            }
        } catch {
            self.failed = true
            context.fireErrorCaught(error)
            return
        }
        if buffer.readableBytes > 0 {
            buffer.discardReadBytes()
            self.partial = buffer
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.partial = nil
        context.fireChannelInactive()
    }
}

@available(*, unavailable)
extension MQTTFrameHandler: Sendable {}
