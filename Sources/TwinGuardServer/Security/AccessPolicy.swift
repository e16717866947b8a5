import Identity
import TwinGuardCore

/// Development access, consulted by ``Identity/IdentityAuthorizer`` after certificates and users:
/// anonymous clients in development mode (`--allow-anonymous`) and the credentials a running demo
/// generated for its own simulated devices (operators of tenant `default`).
public struct AccessPolicy: Authorizer {
    /// Anonymous clients act as ``TwinGuardCore/Principal/anonymousDevelopment``.
    public var allowAnonymous: Bool
    /// User name → password, generated at start (never a default, never stored).
    public var ephemeralCredentials: [String: [UInt8]]

    public init(allowAnonymous: Bool, ephemeralCredentials: [String: [UInt8]] = [:]) {
        self.allowAnonymous = allowAnonymous
        self.ephemeralCredentials = ephemeralCredentials
    }

    public func authenticate(_ credentials: ConnectCredentials) async -> AuthenticationResult {
        self.decide(credentials)
    }

    /// Every decision of this policy is a table lookup and a constant-time comparison: always immediate.
    public func authenticateImmediately(_ credentials: ConnectCredentials) -> AuthenticationResult? {
        self.decide(credentials)
    }

    private func decide(_ credentials: ConnectCredentials) -> AuthenticationResult {
        if let username = credentials.username, let expected = self.ephemeralCredentials[username] {
            guard let password = credentials.password, ConstantTime.equal(password, expected) else {
                return .refused(.badCredentials)
            }
            return .accepted(Principal(tenant: .default, role: .operator, subject: username))
        }
        if self.allowAnonymous {
            // Development mode: as in Mosquitto with allow_anonymous and no password file, a user name
            // without an account is accepted as anonymous.
            return .accepted(.anonymousDevelopment)
        }
        if credentials.username == nil && credentials.password == nil {
            return .refused(.anonymousNotAllowed)
        }
        return .refused(.badCredentials)
    }

    public func authorize(_ action: BrokerAction, for principal: Principal) -> AuthorizationDecision {
        guard principal.role.allows(.anyTopic) else {
            return .deny(reason: "role '\(principal.role.rawValue)' may not use topics outside its own twin")
        }
        return .allow
    }

    /// A random secret of 24 characters (120 bits), for credentials made at start (the demo's login).
    public static func randomSecret() -> String { RandomSecret.make(count: 24) }

}
