import MQTTCodec
import NIOCore
import NIOPosix
import NIOSSL

/// A simulated device's MQTT 3.1.1 connection, as a real device makes it: TLS to the `mqtts` listener,
/// trusting only the platform's CA and presenting the device's own certificate. Messages the broker sends
/// (desired state) arrive on ``incoming``.
final class DeviceConnection: Sendable {
    struct Refused: Error, CustomStringConvertible {
        let description: String
    }

    let channel: any Channel
    let incoming: AsyncStream<PublishPacket>

    private init(channel: any Channel, incoming: AsyncStream<PublishPacket>) {
        self.channel = channel
        self.incoming = incoming
    }

    /// Connects and waits for the CONNACK.
    /// - Parameter identity: the device's certificate, key and CA (PEM files), or `nil` to connect without a
    ///   client certificate (the rogue's attempt).
    static func open(
        host: String, port: Int, group: any EventLoopGroup, clientID: String,
        identity: (certificate: String, key: String, ca: String)?, trusting ca: String
    ) async throws -> DeviceConnection {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca))
        // The server certificate names the host it was issued for; the CA pin is the check that matters.
        tls.certificateVerification = .noHostnameVerification
        if let identity {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(identity.certificate).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: identity.key, format: .pem))
        }
        let context = try NIOSSLContext(configuration: tls)
        let (stream, continuation) = AsyncStream<PublishPacket>.makeStream(bufferingPolicy: .bufferingNewest(64))
        let connack = group.next().makePromise(of: ConnAckPacket.self)
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(NIOSSLClientHandler(context: context, serverHostname: nil))
                    try pipeline.addHandler(ByteToMessageHandler(MQTTFrameDecoder(maximumPacketSize: 1 << 20)))
                    try pipeline.addHandler(InboundPackets(connack: connack, publishes: continuation))
                }
            }
            .connect(host: host, port: port).get()
        let connection = DeviceConnection(channel: channel, incoming: stream)
        try await connection.send(.connect(ConnectPacket(protocolVersion: .v3_1_1, clientID: clientID, cleanStart: true, keepAlive: 60)))
        let timeout = channel.eventLoop.scheduleTask(in: .seconds(10)) {
            connack.fail(Refused(description: "no CONNACK within 10 s"))
        }
        defer { timeout.cancel() }
        let answer = try await connack.futureResult.get()
        guard answer.reasonCode == .success else {
            channel.close(promise: nil)
            throw Refused(description: "connection refused: \(answer.reasonCode)")
        }
        return connection
    }

    var isActive: Bool { self.channel.isActive }

    func send(_ packet: MQTTPacket) async throws {
        var buffer = self.channel.allocator.buffer(capacity: 256)
        packet.write(to: &buffer, version: .v3_1_1)
        try await self.channel.writeAndFlush(buffer)
    }

    /// Publishes at QoS 0 (telemetry: the next reading supersedes a lost one).
    func publish(_ topic: String, _ payload: String) async throws {
        try await self.send(.publish(PublishPacket(topic: topic, payload: ByteBuffer(string: payload), qos: .atMostOnce)))
    }

    func subscribe(_ filter: String) async throws {
        try await self.send(.subscribe(SubscribePacket(packetID: 1, subscriptions: [SubscriptionRequest(filter: filter, qos: .atLeastOnce)])))
    }

    func close() {
        self.channel.close(promise: nil)
    }
}

/// Decodes the broker's packets: completes the CONNACK promise, forwards PUBLISHes (acknowledging QoS 1).
private final class InboundPackets: ChannelInboundHandler {
    typealias InboundIn = MQTTFrame
    let connack: EventLoopPromise<ConnAckPacket>
    let publishes: AsyncStream<PublishPacket>.Continuation

    init(connack: EventLoopPromise<ConnAckPacket>, publishes: AsyncStream<PublishPacket>.Continuation) {
        self.connack = connack
        self.publishes = publishes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let packet = try? MQTTPacket.decode(self.unwrapInboundIn(data), version: .v3_1_1) else { return }
        switch packet {
        case .connack(let answer):
            self.connack.succeed(answer)
        case .publish(let publish):
            if publish.qos == .atLeastOnce, let id = publish.packetID {
                var buffer = context.channel.allocator.buffer(capacity: 8)
                MQTTPacket.publishAck(PublishAckPacket(kind: .puback, packetID: id)).write(to: &buffer, version: .v3_1_1)
                context.writeAndFlush(NIOAny(buffer), promise: nil)
            }
            self.publishes.yield(publish)
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.connack.fail(DeviceConnection.Refused(description: "the broker closed the connection"))
        self.publishes.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.connack.fail(error)
        context.close(promise: nil)
    }
}
