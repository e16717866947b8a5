import Logging
import MQTTCodec
import NIOCore
import Synchronization
import TwinGuardCore

/// Speaks MQTT with one client: CONNECT and authentication, then every packet of the session.
///
/// Runs on the connection's event loop; frames come from ``MQTTFrameHandler``. Everything it sends
/// goes through the connection's ``ConnectionWriter`` so that acknowledgements and deliveries from
/// other cores stay in order.
final class MQTTConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = MQTTFrame
    typealias OutboundOut = ByteBuffer

    let broker: Broker
    let transport: String
    /// The listener's TLS layer, which knows the client certificate.
    let security: (any ListenerSecurity)?
    var phase = ConnectionPhase.awaitingConnect
    private var connectTimeout: Scheduled<Void>?
    private var admitted = false
    private var remoteAddress: SocketAddress?
    /// When the client last sent anything, for the keep-alive.
    var lastActivity = NIODeadline.uptimeNanoseconds(0)
    private var keepAliveMonitor: KeepAliveMonitor?
    /// The client id once CONNECT named or assigned one, for log metadata.
    var clientID: String?
    /// Acknowledgements in PUBLISH order while some wait for storage.
    var acknowledgements = AcknowledgementQueue()
    /// The event loop's inbox for storage acknowledgements, looked up once.
    private var inbox: AcknowledgementInbox?
    /// Messages for the platform read since the last read burst ended, handed over together.
    var consumed: [(message: DeviceMessage, token: UInt64?, ack: PublishAckPacket?)] = []

    func acknowledgementInbox(_ context: ChannelHandlerContext) -> AcknowledgementInbox {
        if let inbox = self.inbox { return inbox }
        let inbox = self.broker.acknowledgementInboxes.value(for: context.eventLoop)
        self.inbox = inbox
        return inbox
    }

    /// The broker's logger with this connection's metadata, built only when something is logged
    /// (a logger stored per connection would cost memory on every idle connection).
    var logger: Logger {
        var logger = self.broker.logger
        logger[metadataKey: "mqtt.transport"] = "\(self.transport)"
        if let remote = self.remoteAddress { logger[metadataKey: "mqtt.remote"] = "\(remote)" }
        if let clientID = self.clientID { logger[metadataKey: "mqtt.client_id"] = "\(clientID)" }
        return logger
    }

    /// Logs a line about a misbehaving client (or a refused one) unless too many came this second;
    /// says how many were held back.
    func logViolation(_ log: (Logger) -> Void) {
        let (admitted, heldBack) = self.broker.violationLog.admit()
        if heldBack > 0 {
            self.broker.logger.warning(
                "log lines about misbehaving clients were held back", metadata: ["log.held_back": "\(heldBack)"])
        }
        if admitted { log(self.logger) }
    }

    /// Whether debug logging is on, checked before building metadata for per-connection debug lines.
    var debugLogging: Bool { self.broker.logger.logLevel <= .debug }

    /// Frames a client may send before its CONNACK (MQTT 5 allows publishing right after CONNECT).
    private static let maxFramesBeforeConnAck = 1_000

    init(broker: Broker, transport: String, security: (any ListenerSecurity)? = nil) {
        self.broker = broker
        self.transport = transport
        self.security = security
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { self.start(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        self.start(context: context)
        context.fireChannelActive()
    }

    private func start(context: ChannelHandlerContext) {
        guard !self.admitted, case .awaitingConnect = self.phase else { return }
        guard self.broker.admitConnection() else {
            self.logViolation {
                $0.warning(
                    "connection limit reached, connection refused",
                    metadata: ["limits.max_connections": "\(self.broker.limits.maxConnections)"])
            }
            self.phase = .closed
            context.close(promise: nil)
            return
        }
        self.admitted = true
        self.remoteAddress = context.remoteAddress
        let timeout = TimeAmount.seconds(Int64(self.broker.limits.connectTimeoutSeconds))
        self.connectTimeout = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            if case .awaitingConnect = self.phase {
                self.logger.debug("no CONNECT in time, closing")
                context.close(promise: nil)
            }
        }
    }

    func cancelConnectTimeout() {
        self.connectTimeout?.cancel()
        self.connectTimeout = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = self.unwrapInboundIn(data)
        if self.keepAliveMonitor != nil { self.lastActivity = .now() }
        self.broker.statistics.bytesReceived.add(frame.body.readableBytes + 2, ordering: .relaxed)
        self.broker.statistics.messagesReceived.add(1, ordering: .relaxed)
        switch self.phase {
        case .awaitingConnect:
            self.handleFirstFrame(frame, context: context)
        case .authenticating(var pending):
            guard pending.count < Self.maxFramesBeforeConnAck else {
                self.fail(.protocolError("too many packets before CONNACK"), context: context)
                return
            }
            pending.append(frame)
            self.phase = .authenticating(pending: pending)
        case .connected(let client):
            guard !client.closing else { return }
            do {
                let packet = try MQTTPacket.decode(frame, version: client.version)
                self.handle(packet, context: context)
            } catch {
                self.fail(error, context: context)
            }
        case .closed:
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.flushConsumed(context: context)
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.flushConsumed(context: context)
        self.connectTimeout?.cancel()
        self.keepAliveMonitor?.unwatch(ObjectIdentifier(self))
        self.keepAliveMonitor = nil
        if case .connected(let client) = self.phase {
            self.broker.statistics.clientsConnected.subtract(1, ordering: .relaxed)
            self.broker.connectionClosed(
                session: client.session, writer: client.writer, publishWill: !client.disconnectedNormally,
                eventLoop: context.eventLoop)
            if self.debugLogging { self.logger.debug("client disconnected") }
        }
        self.phase = .closed
        if self.admitted {
            self.admitted = false
            self.broker.releaseConnection()
        }
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if case .connected(let client) = self.phase {
            client.writer.channelWritable.store(context.channel.isWritable, ordering: .relaxed)
        }
        context.fireChannelWritabilityChanged()
    }

    /// Starts watching the keep-alive: 1.5 periods without a packet end the connection, will included
    /// (§3.1.2.10).
    func startKeepAlive(seconds: Int, context: ChannelHandlerContext) {
        let grace = TimeAmount.milliseconds(Int64(seconds) * 1_500)
        let monitor = self.broker.keepAliveMonitors.value(for: context.eventLoop)
        self.keepAliveMonitor = monitor
        self.lastActivity = .now()
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        monitor.watch(
            ObjectIdentifier(self),
            deadline: { handler.value.lastActivity + grace },
            expire: { handler.value.keepAliveExpired() })
    }

    private func keepAliveExpired() {
        guard case .connected(let client) = self.phase else { return }
        self.logger.info("keep-alive timeout, closing")
        let disconnect: MQTTPacket? =
            client.version.hasProperties ? .disconnect(DisconnectPacket(reasonCode: .keepAliveTimeout)) : nil
        client.writer.close(after: disconnect)
        self.markClosing()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let decodeError = error as? MQTTDecodeError {
            self.fail(decodeError, context: context)
        } else {
            self.logger.debug("connection error", metadata: ["error": "\(error)"])
            context.close(promise: nil)
        }
    }

    /// Ends the connection after bad input: the right reason code for MQTT 5, a plain close for 3.1.1 (§4.13).
    func fail(_ error: MQTTDecodeError, context: ChannelHandlerContext) {
        self.broker.statistics.protocolErrors.add(1, ordering: .relaxed)
        self.logViolation {
            $0.info(
                "protocol violation, closing connection",
                metadata: ["mqtt.reason": "\(error.reasonCode)", "error": "\(error.message)"])
        }
        switch self.phase {
        case .connected(var client):
            var properties = Properties()
            properties.reasonString = error.message
            let disconnect: MQTTPacket? =
                client.version.hasProperties
                ? .disconnect(DisconnectPacket(reasonCode: error.reasonCode, properties: properties)) : nil
            client.writer.close(after: disconnect)
            client.disconnectedNormally = false
            client.closing = true
            self.phase = .connected(client)
        case .awaitingConnect, .authenticating:
            self.phase = .closed
            context.close(promise: nil)
        case .closed:
            break
        }
    }
}

@available(*, unavailable)
extension MQTTConnectionHandler: Sendable {}
