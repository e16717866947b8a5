import TwinGuardCore

/// One tag of a series: a key and its value (InfluxDB's model).
public struct Tag: Hashable, Sendable, Comparable {
    public var key: String
    public var value: String

    public init(_ key: String, _ value: String) {
        self.key = key
        self.value = value
    }

    public static func < (lhs: Tag, rhs: Tag) -> Bool {
        lhs.key != rhs.key ? lhs.key < rhs.key : lhs.value < rhs.value
    }
}

/// What identifies a series: tenant, measurement and the tag set (kept sorted by key).
public struct SeriesKey: Hashable, Sendable, CustomStringConvertible {
    public let tenant: TenantID
    public let measurement: String
    public let tags: [Tag]

    /// Creates a key; tags are sorted by key, a repeated key keeps its last value.
    public init(tenant: TenantID, measurement: String, tags: [Tag]) {
        self.tenant = tenant
        self.measurement = measurement
        var unique: [String: String] = [:]
        for tag in tags { unique[tag.key] = tag.value }
        self.tags = unique.map { Tag($0.key, $0.value) }.sorted()
    }

    /// The value of tag `key`, if the series has it.
    public func tag(_ key: String) -> String? {
        self.tags.first { $0.key == key }?.value
    }

    public var description: String {
        ([self.measurement] + self.tags.map { "\($0.key)=\($0.value)" }).joined(separator: ",")
    }
}

/// A series' number in the catalog, stable for the life of the data dir.
public typealias SeriesID = UInt32

/// A column's number: one field of one series.
public typealias ColumnID = UInt32

/// A series as the catalog knows it, with its columns.
public struct SeriesInfo: Sendable {
    public let id: SeriesID
    public let key: SeriesKey
    public internal(set) var columns: [ColumnInfo]
}

/// One field of a series and the type fixed by its first value.
public struct ColumnInfo: Sendable, Equatable {
    public let id: ColumnID
    public let field: String
    public let type: FieldType
}
