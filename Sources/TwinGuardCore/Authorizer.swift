/// What a client presents when it connects, whatever the transport.
public struct ConnectCredentials: Sendable {
    /// The MQTT client identifier (may be server-assigned).
    public var clientID: String
    /// User name, when the client sent one.
    public var username: String?
    /// Password bytes, when the client sent them. Never logged.
    public var password: [UInt8]?
    /// The remote address, for the audit trail and rate limits.
    public var remoteAddress: String?
    /// The client certificate verified in the TLS handshake, on mutual-TLS listeners.
    public var certificate: ClientCertificate?
    /// Whether the connection is TLS (passwords over plaintext are accepted only from loopback by default).
    public var encrypted: Bool

    public init(
        clientID: String, username: String?, password: [UInt8]?, remoteAddress: String?, certificate: ClientCertificate? = nil,
        encrypted: Bool = false
    ) {
        self.encrypted = encrypted
        self.clientID = clientID
        self.username = username
        self.password = password
        self.remoteAddress = remoteAddress
        self.certificate = certificate
    }
}

/// The identity a verified client certificate carries.
public struct ClientCertificate: Sendable, Equatable {
    public var tenant: TenantID
    public var twin: String
    /// Lowercase hex serial number.
    public var serial: String

    public init(tenant: TenantID, twin: String, serial: String) {
        self.tenant = tenant
        self.twin = twin
        self.serial = serial
    }
}

/// Why a connection attempt was refused.
public enum AuthenticationFailure: Sendable, Equatable {
    /// Anonymous access is off and the client sent no credentials.
    case anonymousNotAllowed
    /// The user name or password is wrong (deliberately not saying which).
    case badCredentials
    /// The principal exists but may not connect (revoked, quarantined, tenant disabled).
    case notAuthorized(reason: String)
}

/// The outcome of checking a connection attempt.
public enum AuthenticationResult: Sendable, Equatable {
    case accepted(Principal)
    case refused(AuthenticationFailure)
}

/// An act on the broker that policy decides about.
public enum BrokerAction: Sendable, Equatable {
    /// Publishing to a topic name (no wildcards).
    case publish(topic: String)
    /// Subscribing with a topic filter (wildcards allowed).
    case subscribe(filter: String)
}

/// A policy decision. Denials carry the reason that goes to the log and the audit trail.
public enum AuthorizationDecision: Sendable, Equatable {
    case allow
    case deny(reason: String)
}

/// Whether one more message fits a principal's rate limits.
public enum RateDecision: Sendable, Equatable {
    case admit
    /// Over the limit: refuse this message (MQTT 5 reason 0x97), and close the connection when `disconnect`.
    case exceeded(reason: String, disconnect: Bool)
}

/// Decides who may connect and what each principal may do; implemented by the identity layer.
///
/// `authorize` is called for every message, on the I/O threads: it must not block and must be cheap.
/// Decisions are taken per message, never cached from CONNECT, so that a quarantine takes effect at once.
public protocol Authorizer: Sendable {
    /// Checks the credentials of a connecting client.
    func authenticate(_ credentials: ConnectCredentials) async -> AuthenticationResult
    /// Decides at once when no slow work (password hashing, a database lookup) is needed, so that the
    /// connection does not leave its event loop; `nil` defers to ``authenticate(_:)``.
    func authenticateImmediately(_ credentials: ConnectCredentials) -> AuthenticationResult?
    /// Decides one action of an authenticated principal. Topics are relative to the principal's tenant.
    func authorize(_ action: BrokerAction, for principal: Principal) -> AuthorizationDecision
    /// Counts one message of `bytes` against the principal's rate limits (after it was authorized).
    func admit(messageOf bytes: Int, from principal: Principal) -> RateDecision

    /// Records a refusal the broker decided itself (a client id that belongs to another principal's session),
    /// for the audit log.
    func noteRefusal(_ principal: Principal, action: String, target: String, reason: String)
}

extension Authorizer {
    /// By default every decision goes through ``authenticate(_:)``.
    public func authenticateImmediately(_ credentials: ConnectCredentials) -> AuthenticationResult? { nil }

    /// By default nobody is rate-limited.
    public func admit(messageOf bytes: Int, from principal: Principal) -> RateDecision { .admit }

    public func noteRefusal(_ principal: Principal, action: String, target: String, reason: String) {}
}
