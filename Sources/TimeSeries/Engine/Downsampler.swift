import Foundation
import TwinGuardCore

/// Continuous downsampling: aggregates each complete bucket of new raw points into the tier series
/// (the raw series' key plus the tag `_tier`). The tier's own newest point is the watermark, so no
/// state is kept; points that arrive late for a bucket already summarised are not folded in.
public enum Downsampler {
    /// The tag that marks tier series.
    public static let tierTag = "_tier"

    /// Whether a series is a tier series.
    public static func isTier(_ key: SeriesKey) -> Bool { key.tag(Self.tierTag) != nil }

    /// Downsamples every raw series of tenants that have tiers.
    /// - Returns: the number of tier points written.
    @discardableResult
    public static func run(store: TimeSeriesStore, tiers: (TenantID) -> [DownsampleTier], now: Int64) throws(TimeSeriesError) -> Int {
        var written = 0
        var tenantTiers: [TenantID: [DownsampleTier]] = [:]
        for series in store.allSeriesOfAllTenants() where !Self.isTier(series.key) {
            let list = tenantTiers[series.key.tenant] ?? tiers(series.key.tenant)
            tenantTiers[series.key.tenant] = list
            for tier in list {
                written += try Self.downsample(series, tier: tier, store: store, now: now)
            }
        }
        return written
    }

    private static func downsample(_ series: SeriesInfo, tier: DownsampleTier, store: TimeSeriesStore, now: Int64) throws(TimeSeriesError) -> Int {
        let numeric = series.columns.filter { $0.type != .string }
        guard !numeric.isEmpty else { return 0 }
        let key = SeriesKey(tenant: series.key.tenant, measurement: series.key.measurement, tags: series.key.tags + [Tag(Self.tierTag, tier.name)])
        let target = try store.series(for: key)
        let completeEnd = Aggregation.bucketStart(now, every: tier.every)
        var rows: [Int64: [(String, FieldValue)]] = [:]
        for column in numeric {
            var from = Int64.min
            if let done = store.column(series: target, field: column.field).flatMap({ store.last(column: $0.id) }) {
                from = done.timestamp + tier.every
            }
            guard from < completeEnd else { continue }
            let data = try store.read(column: column.id, from: from, to: completeEnd)
            guard let first = data.timestamps.first else { continue }
            for function in [Aggregate.mean, .min, .max, .count] {
                for bucket in Aggregation.run(function, over: data, from: first, to: completeEnd, every: tier.every) {
                    guard let value = bucket.value else { continue }
                    let name = function == .mean ? column.field : "\(column.field)_\(function)"
                    let stored: FieldValue = function == .count ? value : .double(value.numeric ?? 0)
                    rows[bucket.start, default: []].append((name, stored))
                }
            }
        }
        guard !rows.isEmpty else { return 0 }
        let batch = rows.keys.sorted().map { TimeSeriesStore.Row(series: target, timestamp: $0, fields: rows[$0]!) }
        return store.append(batch).accepted
    }
}
