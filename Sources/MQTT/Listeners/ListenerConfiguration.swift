import NIOCore
import TwinGuardCore

/// Adds the handlers that secure a listener's connections (TLS, mutual TLS) in front of MQTT.
///
/// The identity layer implements it; the broker only asks for handlers, so plain and secured
/// listeners share every other part of the pipeline.
public protocol ListenerSecurity: Sendable {
    /// Adds the security handlers to a new connection's pipeline, before any MQTT handler.
    func addHandlers(to channel: any Channel) throws
    /// The identity of the client certificate verified in the handshake, read when CONNECT arrives.
    func clientCertificate(in pipeline: ChannelPipeline.SynchronousOperations) -> ClientCertificate?
}

/// One socket the broker listens on.
public struct ListenerConfiguration: Sendable {
    /// How MQTT packets travel on the socket.
    public enum Transport: Sendable, Equatable {
        /// MQTT directly over TCP.
        case tcp
        /// MQTT inside WebSocket binary frames, subprotocol `mqtt` (MQTT 5 §6).
        case webSocket(path: String)
    }

    /// The name printed in `NAME listening on HOST:PORT` (`mqtt`, `ws`, `mqtts`).
    public var name: String
    public var host: String
    /// The port; 0 picks a free one.
    public var port: Int
    public var transport: Transport
    /// TLS in front of the transport, when the listener is secured.
    public var security: (any ListenerSecurity)?

    public init(name: String, host: String, port: Int, transport: Transport, security: (any ListenerSecurity)? = nil) {
        self.name = name
        self.host = host
        self.port = port
        self.transport = transport
        self.security = security
    }
}

/// A listener that is accepting connections.
public struct BoundListener: Sendable {
    public let name: String
    public let host: String
    public let port: Int
}
