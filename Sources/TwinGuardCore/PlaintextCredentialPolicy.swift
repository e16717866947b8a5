/// Where passwords and tokens may travel unencrypted. By default only from this machine (loopback): a
/// password or token sent over plain MQTT, WebSocket or HTTP from anywhere else is refused before it is
/// checked, so that it is not even tried, and the client is told to use TLS (`mqtts`, `wss`, `https`).
/// `security.allow_plaintext_passwords = true` allows it (a closed network whose operator accepts that).
public struct PlaintextCredentialPolicy: Sendable, Equatable {
    /// Whether credentials may come over plaintext from other machines.
    public var allowsRemotePlaintext: Bool

    public init(allowsRemotePlaintext: Bool = false) {
        self.allowsRemotePlaintext = allowsRemotePlaintext
    }

    /// Whether credentials sent over this connection may be checked.
    /// - Parameters:
    ///   - encrypted: the connection is TLS.
    ///   - remote: the peer's address as SwiftNIO describes it (`[IPv4]127.0.0.1/127.0.0.1:46528`).
    public func permits(encrypted: Bool, remote: String?) -> Bool {
        encrypted || self.allowsRemotePlaintext || Self.isLoopback(remote)
    }

    /// The refusal, for the client.
    public static let refusal =
        "passwords and tokens are accepted over plaintext only from this machine: use TLS (mqtts, wss or https), "
        + "or have the administrator set security.allow_plaintext_passwords"

    /// Whether a peer address is on the loopback interface (127.0.0.0/8, ::1, ::ffff:127.x.x.x).
    public static func isLoopback(_ remote: String?) -> Bool {
        guard var text = remote else { return false }
        if let slash = text.lastIndex(of: "/") { text = String(text[text.index(after: slash)...]) }
        if let colon = text.lastIndex(of: ":") { text = String(text[..<colon]) }
        if text.hasPrefix("[") && text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        return text == "::1" || text.hasPrefix("127.") || text.lowercased().hasPrefix("::ffff:127.")
    }
}
