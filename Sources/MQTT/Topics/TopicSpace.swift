import TwinGuardCore

/// The topics of one tenant: its subscriptions and retained messages. Tenants never share a topic space.
final class TopicSpace: Sendable {
    let tenant: TenantID
    let subscriptions = SubscriptionTree()
    let retained = RetainedStore()

    init(tenant: TenantID) {
        self.tenant = tenant
    }
}
