import MQTT
import MQTTCodec
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Runs the demo's simulated devices against the server's own MQTT listener until shutdown.
public struct DemoFleet: Service {
    let server: TwinGuardServer
    let username: String
    let password: [UInt8]
    /// Simulated seconds per real second.
    let speed: Double

    public init(server: TwinGuardServer, username: String, password: [UInt8], speed: Double) {
        self.server = server
        self.username = username
        self.password = password
        self.speed = speed
    }

    public func run() async throws {
        guard let listener = self.server.mqttListener else {
            // MQTT is turned off: nothing to simulate, but the demo keeps serving.
            try? await gracefulShutdown()
            return
        }
        let host = listener.host == "0.0.0.0" ? "127.0.0.1" : (listener.host == "::" ? "::1" : listener.host)
        try await withThrowingDiscardingTaskGroup { group in
            for device in SimulatedDevice.fleet {
                group.addTask {
                    try await self.drive(device, host: host, port: listener.port)
                }
            }
        }
    }

    private func drive(_ device: SimulatedDevice, host: String, port: Int) async throws {
        let channel = try await ClientBootstrap(group: self.server.eventLoops)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DiscardingHandler())
                }
            }
            .connect(host: host, port: port).get()
        defer { channel.close(promise: nil) }
        let connect = ConnectPacket(
            protocolVersion: .v3_1_1, clientID: device.twinID, cleanStart: true, keepAlive: 30,
            username: self.username, password: self.password)
        try await self.send(.connect(connect), on: channel)
        var random = SystemRandomNumberGenerator()
        var elapsed = 0.0
        let topic = "tg/default/\(device.twinID)/telemetry"
        while !Task.isShuttingDownGracefully && !Task.isCancelled && channel.isActive {
            let payload = device.telemetry(at: elapsed, random: &random)
            try await self.send(.publish(PublishPacket(topic: topic, payload: ByteBuffer(string: payload), qos: .atMostOnce)), on: channel)
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
            elapsed += self.speed
        }
        if channel.isActive { try? await self.send(.disconnect(DisconnectPacket()), on: channel) }
    }

    private func send(_ packet: MQTTPacket, on channel: any Channel) async throws {
        var buffer = channel.allocator.buffer(capacity: 128)
        packet.write(to: &buffer, version: .v3_1_1)
        try await channel.writeAndFlush(buffer)
    }
}

/// Drops what the broker sends to a simulated device (CONNACK, pings).
private final class DiscardingHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}
