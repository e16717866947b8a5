import Logging
import MQTTCodec
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import ServiceLifecycle
import Synchronization

/// The broker's listeners as one service: binds every listener, accepts until graceful shutdown,
/// then stops accepting and disconnects clients (MQTT 5 clients hear 0x8B, server shutting down).
public final class MQTTServer: Service {
    public let broker: Broker
    private let listeners: [ListenerConfiguration]
    private let group: any EventLoopGroup
    private let onBound: @Sendable (BoundListener) -> Void
    private let bound = Mutex<[BoundListener]>([])
    private let channels = Mutex<[any Channel]>([])

    /// - Parameters:
    ///   - broker: the broker the connections talk to.
    ///   - listeners: sockets to open.
    ///   - group: the event loops (shared with HTTP).
    ///   - onBound: called once per listener when it accepts connections (to print its address).
    public init(
        broker: Broker, listeners: [ListenerConfiguration], group: any EventLoopGroup,
        onBound: @escaping @Sendable (BoundListener) -> Void
    ) {
        self.broker = broker
        self.listeners = listeners
        self.group = group
        self.onBound = onBound
    }

    /// The listeners bound so far.
    public var boundListeners: [BoundListener] { self.bound.withLock { $0 } }

    /// Binds all listeners, so that a port in use fails before anything else starts.
    /// `run()` binds them itself if this was not called.
    /// - Throws: ``ListenerError`` naming the listener that could not bind.
    public func bind() async throws {
        guard self.channels.withLock({ $0.isEmpty }) else { return }
        var channels: [any Channel] = []
        do {
            for listener in self.listeners {
                let channel = try await self.bind(listener)
                channels.append(channel)
                let port = channel.localAddress?.port ?? listener.port
                let boundListener = BoundListener(name: listener.name, host: listener.host, port: port)
                self.bound.withLock { $0.append(boundListener) }
                self.onBound(boundListener)
            }
        } catch {
            for channel in channels { try? await channel.close() }
            throw error
        }
        self.channels.withLock { $0 = channels }
    }

    public func run() async throws {
        try await self.bind()
        let channels = self.channels.withLock { $0 }
        try? await gracefulShutdown()
        for channel in channels { try? await channel.close() }
        self.broker.disconnectAll()
    }

    private func bind(_ listener: ListenerConfiguration) async throws -> any Channel {
        let broker = self.broker
        let highWater = max(broker.limits.maxQueuedBytes, 64 * 1024)
        let bootstrap = ServerBootstrap(group: self.group)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.writeBufferWaterMark, value: .init(low: highWater / 2, high: highWater))
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try listener.security?.addHandlers(to: channel)
                    switch listener.transport {
                    case .tcp:
                        try Self.addMQTTHandlers(to: pipeline, broker: broker, transport: listener.name, security: listener.security)
                    case .webSocket(let path):
                        try Self.addWebSocketHandlers(
                            to: pipeline, broker: broker, transport: listener.name, path: path, security: listener.security)
                    }
                }
            }
        do {
            return try await bootstrap.bind(host: listener.host, port: listener.port).get()
        } catch {
            throw ListenerError(listener: listener, underlying: error)
        }
    }

    static func addMQTTHandlers(
        to pipeline: ChannelPipeline.SynchronousOperations, broker: Broker, transport: String, security: (any ListenerSecurity)?
    ) throws {
        try pipeline.addHandler(MQTTFrameHandler(maximumPacketSize: broker.limits.maxPacketSize))
        try pipeline.addHandler(MQTTConnectionHandler(broker: broker, transport: transport, security: security))
    }

    private static func addWebSocketHandlers(
        to pipeline: ChannelPipeline.SynchronousOperations, broker: Broker, transport: String, path: String,
        security: (any ListenerSecurity)?
    ) throws {
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: broker.limits.maxPacketSize + 16,
            shouldUpgrade: { channel, head in
                let offered = head.headers[canonicalForm: "Sec-WebSocket-Protocol"].map { $0.lowercased() }
                guard path == "/" || head.uri.hasPrefix(path), offered.contains("mqtt") else {
                    return channel.eventLoop.makeSucceededFuture(nil)
                }
                var headers = HTTPHeaders()
                headers.add(name: "Sec-WebSocket-Protocol", value: "mqtt")
                return channel.eventLoop.makeSucceededFuture(headers)
            },
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(WebSocketMQTTAdapter())
                    try Self.addMQTTHandlers(to: sync, broker: broker, transport: transport, security: security)
                }
            })
        let encoder = HTTPResponseEncoder()
        let decoder = ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes))
        let responder = UpgradeRequiredResponder()
        let upgradeHandler = HTTPServerUpgradeHandler(
            upgraders: [upgrader], httpEncoder: encoder, extraHTTPHandlers: [decoder, responder],
            upgradeCompletionHandler: { _ in })
        try pipeline.addHandlers([encoder, decoder, upgradeHandler, responder])
    }
}

/// A listener that could not open its socket.
public struct ListenerError: Error, CustomStringConvertible {
    public let listener: ListenerConfiguration
    public let underlying: any Error

    public var description: String {
        let reason: String
        if let io = self.underlying as? IOError, io.errnoCode == EADDRINUSE {
            reason = "the address is already in use (another server on this port? pick another with --\(self.listener.name)-port)"
        } else if let io = self.underlying as? IOError, io.errnoCode == EACCES {
            reason = "permission denied (ports below 1024 need privileges)"
        } else if let io = self.underlying as? IOError, io.errnoCode == EADDRNOTAVAIL {
            reason = "the address is not available on this machine (check --bind)"
        } else {
            reason = "\(self.underlying)"
        }
        return "cannot listen for \(self.listener.name) on \(self.listener.host):\(self.listener.port): \(reason)"
    }
}
