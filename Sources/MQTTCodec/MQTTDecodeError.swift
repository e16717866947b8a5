/// Why bytes from a client are not a valid MQTT packet. Each error knows the MQTT 5 reason code that
/// reports it (§4.13); for 3.1.1 clients the connection is simply closed.
public struct MQTTDecodeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The reason code a v5 DISCONNECT or CONNACK carries for this error.
    public let reasonCode: ReasonCode
    /// What was wrong, for the log and the v5 reason string.
    public let message: String

    public init(reasonCode: ReasonCode, message: String) {
        self.reasonCode = reasonCode
        self.message = message
    }

    public var description: String { "\(self.message) (reason \(self.reasonCode))" }

    /// The packet's structure is broken (§1.2 malformed packet).
    public static func malformed(_ message: String) -> Self { Self(reasonCode: .malformedPacket, message: message) }
    /// The packet is well formed but breaks a protocol rule.
    public static func protocolError(_ message: String) -> Self { Self(reasonCode: .protocolError, message: message) }
    /// The packet is larger than the maximum packet size.
    public static func packetTooLarge(size: Int, limit: Int) -> Self {
        Self(reasonCode: .packetTooLarge, message: "packet of \(size) bytes exceeds the maximum packet size of \(limit)")
    }
    /// The CONNECT names a protocol level the broker does not speak.
    public static func unsupportedProtocol(_ message: String) -> Self {
        Self(reasonCode: .unsupportedProtocolVersion, message: message)
    }
    /// The bytes ended inside a field.
    static func truncated(_ field: String) -> Self { .malformed("packet ends inside \(field)") }
}
