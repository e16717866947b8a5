import TwinGuardCore

/// A URL that receives a tenant's events (alert changes by default), each signed with the
/// subscription's secret.
public struct WebhookSubscription: Codable, Sendable, Equatable {
    public var id: String
    public var tenant: TenantID
    public var url: String
    /// Event kinds (prefixes: `alert` covers every `alert.*`).
    public var events: [String]
    public var createdAt: String
    /// The signing secret: stored, but shown only when the subscription is created.
    public var secret: String?

    public init(id: String, tenant: TenantID, url: String, events: [String], createdAt: String, secret: String?) {
        self.id = id
        self.tenant = tenant
        self.url = url
        self.events = events
        self.createdAt = createdAt
        self.secret = secret
    }

    /// The subscription without its secret.
    public var redacted: WebhookSubscription {
        var copy = self
        copy.secret = nil
        return copy
    }
}

/// Where webhook subscriptions are kept and managed (implemented by the server, which also delivers).
public protocol WebhookDirectory: Sendable {
    /// Adds a subscription; the result carries its secret, the only time it is shown.
    func add(tenant: TenantID, url: String, events: [String]?) throws(AnalyticsError) -> WebhookSubscription
    /// A tenant's subscriptions, without secrets.
    func list(tenant: TenantID) -> [WebhookSubscription]
    /// Removes a subscription; `false` when there is none with that id in the tenant.
    func remove(id: String, tenant: TenantID) throws(AnalyticsError) -> Bool
}
