/// The times and durations TwinGuard accepts from input (telemetry, queries, API parameters).
///
/// Every time on the input path lies within ±2⁶² ns of the epoch (1823-11-12 to 2116-02-20) and every duration
/// within 0…2⁶² ns (about 146 years). Within those bounds the sum or difference of any two values fits in an
/// `Int64`, so range arithmetic (`to - from`, `now + ttl`, `time - retention`) cannot overflow; products (bucket
/// counts, unit scaling) are still checked where they are formed.
public enum TimeBounds {
    /// The earliest accepted time, −2⁶² ns: 1823-11-12T00:06:21.572612096Z.
    public static let earliest: Int64 = -(1 << 62)
    /// The latest accepted time, 2⁶² − 1 ns: 2116-02-20T23:53:38.427387903Z.
    public static let latest: Int64 = (1 << 62) - 1
    /// The longest accepted duration, 2⁶² ns (about 146 years).
    public static let longestDuration: Int64 = 1 << 62

    /// Whether `time` (ns since the epoch) is an accepted time.
    public static func contains(_ time: Int64) -> Bool { time >= Self.earliest && time <= Self.latest }

    /// The accepted range in words, for error messages.
    public static var rangeDescription: String { "\(RFC3339.format(Self.earliest)) to \(RFC3339.format(Self.latest))" }

    /// Nanoseconds for a number of seconds given as a floating-point number (TTLs, horizons, intervals).
    /// - Returns: nil when `seconds` is not finite, negative, or longer than ``longestDuration``.
    public static func nanoseconds(seconds: Double) -> Int64? {
        guard seconds.isFinite, seconds >= 0 else { return nil }
        let nanoseconds = seconds * 1e9
        guard nanoseconds <= Double(Self.longestDuration) else { return nil }
        return Int64(nanoseconds)
    }

    /// A time given as seconds since the epoch (a certificate's validity, a `Date`), clamped into the accepted
    /// range: a certificate "valid until 9999" is valid until ``latest``, and NaN is the epoch.
    public static func clampedTime(secondsSinceEpoch seconds: Double) -> Int64 {
        guard !seconds.isNaN else { return 0 }
        let nanoseconds = seconds * 1e9
        if nanoseconds <= Double(Self.earliest) { return Self.earliest }
        if nanoseconds >= Double(Self.latest) { return Self.latest }
        return Int64(nanoseconds)
    }

    /// The duration units of `10s`, `500ms`, `2h` in the order they must be tried (longest suffix first).
    public static let durationUnits: [(suffix: String, nanoseconds: Int64)] = [
        ("ns", 1), ("us", 1_000), ("µs", 1_000), ("ms", 1_000_000), ("s", 1_000_000_000), ("m", 60_000_000_000),
        ("h", 3_600_000_000_000), ("d", 86_400_000_000_000), ("w", 604_800_000_000_000),
    ]

    /// Parses a duration of a whole count and one unit (`500ms`, `10s`, `5m`, `2h`, `7d`, `2w`; also `ns`,
    /// `us`, `µs`).
    /// - Parameter allowed: the unit suffixes accepted; all of ``durationUnits`` when nil.
    /// - Returns: the duration in ns, or nil when the text is not such a duration, is negative or longer than
    ///   ``longestDuration``.
    public static func duration(_ text: String, allowed: Set<String>? = nil) -> Int64? {
        for unit in Self.durationUnits where text.hasSuffix(unit.suffix) {
            let digits = text.dropLast(unit.suffix.count)
            // "5ms" also ends in "s": a count that is not a number means the next unit may fit.
            guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { continue }
            if let allowed, !allowed.contains(unit.suffix) { return nil }
            guard let count = Int64(digits) else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: unit.nanoseconds)
            guard !overflow, product <= Self.longestDuration else { return nil }
            return product
        }
        return nil
    }
}
