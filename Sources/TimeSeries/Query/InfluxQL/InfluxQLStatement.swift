/// The InfluxQL statements TwinGuard understands (the subset Grafana's InfluxDB data source uses).
public enum InfluxQLStatement: Sendable, Equatable {
    case select(SelectStatement)
    case showDatabases
    case showMeasurements(condition: TagCondition?, limit: Int?)
    case showTagKeys(measurement: String?)
    case showTagValues(measurement: String?, keys: [String], condition: TagCondition?)
    case showFieldKeys(measurement: String?)
    case showRetentionPolicies
    case createDatabase(String)
}

/// One item of a SELECT list: a raw field, an aggregate, or `*`.
public struct SelectField: Sendable, Equatable {
    public enum Expression: Sendable, Equatable {
        case field(String)
        case aggregate(Aggregate, field: String)
        case wildcard
    }

    public var expression: Expression
    public var alias: String?
}

/// A SELECT statement.
public struct SelectStatement: Sendable, Equatable {
    public var fields: [SelectField]
    public var measurement: String
    /// `"rp"."measurement"`: `autogen` (or none) reads raw points, a tier name its downsampled series.
    public var retentionPolicy: String?
    /// `from <= time < to`.
    public var from: Int64?
    public var to: Int64?
    public var condition: TagCondition?
    public var interval: Int64?
    public var intervalOffset: Int64 = 0
    public var groupByTags: [String] = []
    public var groupByAllTags = false
    public var fill: Fill = .null
    public var limit: Int?
    public var seriesLimit: Int?
    public var descending = false

    var isAggregate: Bool {
        self.fields.contains { if case .aggregate = $0.expression { true } else { false } }
    }
}

/// How empty time buckets are filled.
public enum Fill: Sendable, Equatable {
    case null, none, previous, linear
    case value(Double)
}

/// A condition on tags, evaluated per series.
public indirect enum TagCondition: Sendable, Equatable {
    case equals(String, String)
    case notEquals(String, String)
    case matches(String, String)
    case notMatches(String, String)
    case and(TagCondition, TagCondition)
    case or(TagCondition, TagCondition)
    case always
}
