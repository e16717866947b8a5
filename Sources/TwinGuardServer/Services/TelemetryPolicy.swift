import Synchronization
import TimeSeries
import TwinGuardCore
import Twins

/// Retention and downsampling tiers per tenant: the tenant's own settings, else the server's
/// `telemetry.retention` and `telemetry.tiers`. Asked by the store at each compaction and by the
/// downsampler, so that changed tenant settings apply without a restart.
final class TelemetryPolicy: Sendable {
    let defaultRetention: Int64?
    let defaultTiers: [DownsampleTier]
    /// Set once the registry exists (the store it reads from is opened first).
    private let registry = Mutex<TwinRegistry?>(nil)

    init(defaultRetention: Int64?, defaultTiers: [DownsampleTier]) {
        self.defaultRetention = defaultRetention
        self.defaultTiers = defaultTiers
    }

    func attach(_ registry: TwinRegistry) {
        self.registry.withLock { $0 = registry }
    }

    private func settings(_ tenant: TenantID) -> TenantSettings? {
        self.registry.withLock { $0 }?.tenants().first { $0.id == tenant }
    }

    func tiers(_ tenant: TenantID) -> [DownsampleTier] {
        self.settings(tenant)?.tiers ?? self.defaultTiers
    }

    /// How long a series is kept: its tier's retention, or the tenant's raw retention.
    func retention(_ key: SeriesKey) -> Duration? {
        let settings = self.settings(key.tenant)
        let ns: Int64?
        if let tierName = key.tag(Downsampler.tierTag) {
            ns = (settings?.tiers ?? self.defaultTiers).first { $0.name == tierName }?.retention
        } else {
            ns = settings?.retention ?? self.defaultRetention
        }
        return ns.map { .nanoseconds($0) }
    }
}
