import Foundation
import TwinGuardCore

/// Runs InfluxQL statements against a tenant's series.
public struct InfluxQLExecutor: Sendable {
    /// The databases (tenants) known, for SHOW DATABASES.
    public var databases: @Sendable () -> [String]
    public let store: TimeSeriesStore
    /// Tags that exist only for TwinGuard's own mapping and are still queryable (`twin`).
    public var now: @Sendable () -> Int64 = { WallClock.nowNanoseconds() }
    /// At most this many buckets per series in one query.
    public var maximumBuckets = 1_000_000
    /// At most this many values (rows × columns) produced by one statement, so that one query cannot take the
    /// server's memory (``QueryBudget``).
    public var maximumValues = 2_000_000
    /// The longest one statement may run.
    public var timeLimit: Duration = .seconds(10)
    /// The downsampling tiers of a tenant, shown as retention policies.
    public var tiers: @Sendable (TenantID) -> [DownsampleTier] = { _ in [] }

    public init(store: TimeSeriesStore, databases: @escaping @Sendable () -> [String]) {
        self.store = store
        self.databases = databases
    }

    /// Runs one statement (CREATE DATABASE is handled by the caller, which owns tenants).
    public func run(_ statement: InfluxQLStatement, tenant: TenantID, id: Int) -> InfluxStatementResult {
        var result = InfluxStatementResult(statementID: id)
        do throws(TimeSeriesError) {
            switch statement {
            case .select(let select):
                var budget = QueryBudget(values: self.maximumValues, timeLimit: self.timeLimit)
                result.series = try self.select(select, tenant: tenant, budget: &budget)
            case .showDatabases:
                result.series = [InfluxSeries(name: "databases", columns: ["name"], values: self.databases().sorted().map { [.string($0)] })]
            case .showRetentionPolicies:
                let tiers = self.tiers(tenant).map { tier -> [InfluxValue] in
                    [.string(tier.name), .string(tier.retention.map { "\($0 / 1_000_000_000)s" } ?? "0s"), .string("168h0m0s"), .integer(1), .boolean(false)]
                }
                result.series = [
                    InfluxSeries(
                        name: "", columns: ["name", "duration", "shardGroupDuration", "replicaN", "default"],
                        values: [[.string("autogen"), .string("0s"), .string("168h0m0s"), .integer(1), .boolean(true)]] + tiers)
                ]
            case .showMeasurements(let condition, let limit):
                let regexes = try Self.compile(condition)
                var names = Set(self.store.allSeries(tenant: tenant).filter { Self.matches(condition, $0.key, regexes) }.map(\.key.measurement)).sorted()
                if let limit { names = Array(names.prefix(limit)) }
                if !names.isEmpty {
                    result.series = [InfluxSeries(name: "measurements", columns: ["name"], values: names.map { [.string($0)] })]
                }
            case .showTagKeys(let measurement):
                result.series = self.byMeasurement(tenant, measurement) { series in
                    Set(series.flatMap { $0.key.tags.map(\.key) }).sorted().map { [InfluxValue.string($0)] }
                }.map { InfluxSeries(name: $0.0, columns: ["tagKey"], values: $0.1) }
            case .showTagValues(let measurement, let keys, let condition):
                let regexes = try Self.compile(condition)
                result.series = self.byMeasurement(tenant, measurement) { series in
                    var pairs = Set<Tag>()
                    for info in series where Self.matches(condition, info.key, regexes) {
                        for tag in info.key.tags where keys.contains(tag.key) { pairs.insert(tag) }
                    }
                    return pairs.sorted().map { [InfluxValue.string($0.key), .string($0.value)] }
                }.map { InfluxSeries(name: $0.0, columns: ["key", "value"], values: $0.1) }
            case .showFieldKeys(let measurement):
                result.series = self.byMeasurement(tenant, measurement) { series in
                    var fields: [String: FieldType] = [:]
                    for info in series { for column in info.columns { fields[column.field] = column.type } }
                    return fields.sorted { $0.key < $1.key }.map { [InfluxValue.string($0.key), .string(Self.influxType($0.value))] }
                }.map { InfluxSeries(name: $0.0, columns: ["fieldKey", "fieldType"], values: $0.1) }
            case .createDatabase:
                break
            }
        } catch {
            result.error = error.message
            result.series = []
        }
        return result
    }

    private func byMeasurement(
        _ tenant: TenantID, _ measurement: String?, _ rows: ([SeriesInfo]) -> [[InfluxValue]]
    ) -> [(String, [[InfluxValue]])] {
        let series = self.store.allSeries(tenant: tenant, measurement: measurement)
        let grouped = Dictionary(grouping: series, by: \.key.measurement)
        return grouped.keys.sorted().compactMap { name in
            let values = rows(grouped[name]!)
            return values.isEmpty ? nil : (name, values)
        }
    }

    static func influxType(_ type: FieldType) -> String {
        switch type {
        case .double: "float"
        case .integer: "integer"
        case .boolean: "boolean"
        case .string: "string"
        }
    }

    // MARK: Tag conditions

    /// The regular expressions of a condition, compiled once per statement. They run in linear time
    /// (``LinearRegex``): no pattern can make a query backtrack.
    static func compile(_ condition: TagCondition?) throws(TimeSeriesError) -> [String: LinearRegex] {
        var result: [String: LinearRegex] = [:]
        func visit(_ condition: TagCondition) throws(TimeSeriesError) {
            switch condition {
            case .matches(_, let pattern), .notMatches(_, let pattern):
                do throws(LinearRegex.SyntaxError) {
                    result[pattern] = try LinearRegex(pattern)
                } catch {
                    throw .invalidQuery("error parsing regex /\(pattern.prefix(200))/: \(error.description)")
                }
            case .and(let left, let right), .or(let left, let right):
                try visit(left)
                try visit(right)
            default: break
            }
        }
        if let condition { try visit(condition) }
        return result
    }

    static func matches(_ condition: TagCondition?, _ key: SeriesKey, _ regexes: [String: LinearRegex]) -> Bool {
        guard let condition else { return true }
        switch condition {
        case .always: return true
        case .equals(let tag, let value): return (key.tag(tag) ?? "") == value
        case .notEquals(let tag, let value): return (key.tag(tag) ?? "") != value
        case .matches(let tag, let pattern), .notMatches(let tag, let pattern):
            let found = regexes[pattern]?.matches(key.tag(tag) ?? "") ?? false
            if case .matches = condition { return found }
            return !found
        case .and(let left, let right): return Self.matches(left, key, regexes) && Self.matches(right, key, regexes)
        case .or(let left, let right): return Self.matches(left, key, regexes) || Self.matches(right, key, regexes)
        }
    }
}
