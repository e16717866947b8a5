import MQTTCodec
import TwinGuardCore

/// Where a connection is in its life (§3.1, §4.1): waiting for CONNECT, authenticating, connected.
enum ConnectionPhase {
    /// Nothing but CONNECT is accepted (§3.1: the first packet must be CONNECT).
    case awaitingConnect
    /// CONNECT received; the authorizer is deciding. Frames that arrive meanwhile wait here.
    case authenticating(pending: [MQTTFrame])
    case connected(ConnectedClient)
    case closed
}

/// A connected, authenticated client.
struct ConnectedClient {
    let principal: Principal
    let session: Session
    let writer: ConnectionWriter
    let version: ProtocolVersion
    /// Whether the client allows reason strings and user properties on acknowledgements (MQTT 5 §3.1.2.11.7).
    let sendsProblemInformation: Bool
    /// Protocol checks for the client's PUBLISH packets, with its topic aliases.
    var publishRules: InboundPublishRules
    /// Whether the client ended with a DISCONNECT that discards the will.
    var disconnectedNormally = false
    /// Set once the broker decided to close the connection: later input is ignored.
    var closing = false
}
