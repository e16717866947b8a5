/// A downsampling tier: every raw numeric field is also kept as per-bucket mean, min, max and count,
/// for longer than the raw points (InfluxDB's retention policies with continuous queries, built in).
public struct DownsampleTier: Sendable, Codable, Equatable {
    /// Its name, which InfluxQL uses as the retention policy (`FROM "1m"."machine"`).
    public var name: String
    /// Bucket width in ns.
    public var every: Int64
    /// How long its points are kept, in ns; `nil` keeps them forever.
    public var retention: Int64?

    public init(name: String, every: Int64, retention: Int64?) {
        self.name = name
        self.every = every
        self.retention = retention
    }

    /// Parses `1m:90d,1h` (bucket, then an optional retention; `forever` or none keeps them).
    public static func parseList(_ text: String) -> [DownsampleTier]? {
        var tiers: [DownsampleTier] = []
        for item in text.split(separator: ",").map({ String($0).filter { $0 != " " } }) where !item.isEmpty {
            let parts = item.split(separator: ":").map(String.init)
            guard (1...2).contains(parts.count), let every = Self.duration(parts[0]), every > 0 else { return nil }
            var retention: Int64?
            if parts.count == 2, parts[1] != "forever" {
                guard let parsed = Self.duration(parts[1]), parsed > 0 else { return nil }
                retention = parsed
            }
            tiers.append(DownsampleTier(name: parts[0], every: every, retention: retention))
        }
        return tiers
    }

    /// `30s`, `5m`, `1h`, `7d`, `2w` in ns (positive, within ``TimeBounds/longestDuration``).
    public static func duration(_ text: String) -> Int64? {
        guard let ns = TimeBounds.duration(text, allowed: ["s", "m", "h", "d", "w"]), ns > 0 else { return nil }
        return ns
    }
}
