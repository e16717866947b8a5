import TwinGuardCore

/// Who may read `/metrics`. The counters are the whole server's (every tenant's traffic together), so by
/// default only the local administrator, an anonymous development client and administrators of the
/// installation's own tenant `default` read them, plus a scraper that presents the metrics token
/// (`DATA/metrics.token`, mode 0600, as Prometheus' `authorization.credentials_file`). `metrics.public =
/// true` opens it to anyone, for a listener that only a trusted network reaches.
public struct MetricsAccess: Sendable {
    /// The route.
    static let path = "/metrics"
    /// Anyone may read the metrics.
    public var isPublic: Bool
    /// The bearer token a scraper presents; it opens `/metrics` and nothing else.
    public var token: String?

    public init(isPublic: Bool = false, token: String? = nil) {
        self.isPublic = isPublic
        self.token = token
    }

    /// Whether the request is admitted without a principal: metrics are public, or it presents the token.
    func admits(bearer: String?) -> Bool {
        if self.isPublic { return true }
        guard let token = self.token, let bearer else { return false }
        return ConstantTime.equal(Array(bearer.utf8), Array(token.utf8))
    }

    /// Whether an authenticated principal may read the server-wide counters.
    static func admits(_ principal: Principal) -> Bool {
        principal.spansTenants || (principal.tenant == .default && principal.role.allows(.administer) && principal.sites == nil)
    }
}
