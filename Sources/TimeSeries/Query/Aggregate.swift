import TwinGuardCore

/// An aggregation over the points of a time bucket.
public enum Aggregate: Sendable, Hashable, CustomStringConvertible {
    case count, min, max, mean, sum, first, last, stddev, spread, median
    /// The p-th percentile, 0...100 (nearest rank, as InfluxQL's `percentile`).
    case percentile(Double)

    /// Parses an InfluxQL / API function name (`percentile` needs its argument separately).
    public init?(name: String, argument: Double? = nil) {
        switch name.lowercased() {
        case "count": self = .count
        case "min": self = .min
        case "max": self = .max
        case "mean", "avg": self = .mean
        case "sum": self = .sum
        case "first": self = .first
        case "last": self = .last
        case "stddev": self = .stddev
        case "spread": self = .spread
        case "median": self = .median
        case "percentile":
            guard let argument, (0...100).contains(argument) else { return nil }
            self = .percentile(argument)
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .count: "count"
        case .min: "min"
        case .max: "max"
        case .mean: "mean"
        case .sum: "sum"
        case .first: "first"
        case .last: "last"
        case .stddev: "stddev"
        case .spread: "spread"
        case .median: "median"
        case .percentile: "percentile"
        }
    }

}

/// One bucket of an aggregation: its start and the value (`nil` when the bucket had no points).
public struct BucketValue: Sendable, Equatable {
    public var start: Int64
    public var value: FieldValue?
}

/// Splits a column into time buckets and aggregates each.
public enum Aggregation {
    /// The start of the bucket holding `time`, aligned to the epoch as InfluxDB does.
    public static func bucketStart(_ time: Int64, every: Int64) -> Int64 {
        let remainder = time % every
        return remainder >= 0 ? time - remainder : time &- remainder &- every
    }

    /// Aggregates `column` (normalized, already limited to the range) into buckets of `every` ns
    /// covering `from..<to`, empty buckets included; without `every`, one bucket starting at `from`.
    public static func run(
        _ function: Aggregate, over column: ColumnData, from: Int64, to: Int64, every: Int64?, offset: Int64 = 0
    ) -> [BucketValue] {
        guard let every, every > 0 else {
            return [BucketValue(start: from, value: Self.apply(function, column, 0..<column.count))]
        }
        var result: [BucketValue] = []
        var bucket = Self.bucketStart(from &- offset, every: every) &+ offset
        var index = column.timestamps.partitionPoint { $0 >= bucket }
        let bucketLimit = 10_000_000
        while bucket < to && result.count < bucketLimit {
            let (sum, overflow) = bucket.addingReportingOverflow(every)
            let end = overflow ? Int64.max : sum
            let startIndex = index
            while index < column.count && column.timestamps[index] < end { index += 1 }
            result.append(BucketValue(start: bucket, value: Self.apply(function, column, startIndex..<index)))
            if overflow { break }
            bucket = end
        }
        return result
    }

    /// Aggregates the rows in `range`; `nil` when there are none (or none of a usable type).
    public static func apply(_ function: Aggregate, _ column: ColumnData, _ range: Range<Int>) -> FieldValue? {
        guard !range.isEmpty else { return function == .count ? nil : nil }
        switch function {
        case .count: return .integer(Int64(range.count))
        case .first: return column.value(at: range.lowerBound)
        case .last: return column.value(at: range.upperBound - 1)
        default: break
        }
        guard column.type != .string else { return nil }
        switch function {
        case .min:
            if column.type == .double { return .double(column.doubles[range].min()!) }
            return .integer(column.integers[range].min()!)
        case .max:
            if column.type == .double { return .double(column.doubles[range].max()!) }
            return .integer(column.integers[range].max()!)
        case .sum:
            if column.type == .double { return .double(column.doubles[range].reduce(0, +)) }
            return .integer(column.integers[range].reduce(0, &+))
        case .spread:
            if column.type == .double { return .double(column.doubles[range].max()! - column.doubles[range].min()!) }
            return .integer(column.integers[range].max()! &- column.integers[range].min()!)
        case .mean:
            var total = 0.0
            for index in range { total += column.numeric(at: index)! }
            return .double(total / Double(range.count))
        case .stddev:
            guard range.count > 1 else { return nil }
            var mean = 0.0
            var squares = 0.0
            var seen = 0.0
            for index in range {  // Welford
                let value = column.numeric(at: index)!
                seen += 1
                let delta = value - mean
                mean += delta / seen
                squares += delta * (value - mean)
            }
            return .double((squares / (seen - 1)).squareRoot())
        case .median:
            let sorted = range.map { column.numeric(at: $0)! }.sorted()
            let middle = sorted.count / 2
            return .double(sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2)
        case .percentile(let percent):
            let sorted = range.map { column.numeric(at: $0)! }.sorted()
            // Nearest rank, as InfluxQL: index = floor(n * p / 100 + 0.5) - 1.
            let rank = Int((Double(sorted.count) * percent / 100 + 0.5).rounded(.down)) - 1
            guard rank >= 0 else { return nil }
            let value = sorted[min(rank, sorted.count - 1)]
            return column.type == .double ? .double(value) : .integer(Int64(value))
        case .count, .first, .last:
            return nil
        }
    }
}
