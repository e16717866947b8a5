/// The type of one telemetry field, fixed for a series once its first value is stored (as in InfluxDB).
public enum FieldType: UInt8, Sendable, Hashable, Codable, CustomStringConvertible {
    case double = 1
    case integer = 2
    case boolean = 3
    case string = 4

    public var description: String {
        switch self {
        case .double: "double"
        case .integer: "integer"
        case .boolean: "boolean"
        case .string: "string"
        }
    }
}

/// One telemetry value: what a device sends for one field at one instant.
public enum FieldValue: Sendable, Hashable {
    case double(Double)
    case integer(Int64)
    case boolean(Bool)
    case string(String)

    /// The value's type.
    public var type: FieldType {
        switch self {
        case .double: .double
        case .integer: .integer
        case .boolean: .boolean
        case .string: .string
        }
    }

    /// The value as a number, for aggregation: booleans count as 0 or 1, strings as `nil`.
    public var numeric: Double? {
        switch self {
        case .double(let value): value
        case .integer(let value): Double(value)
        case .boolean(let value): value ? 1 : 0
        case .string: nil
        }
    }
}
