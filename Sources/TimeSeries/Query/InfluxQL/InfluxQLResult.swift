import TwinGuardCore

/// One cell of an InfluxQL result.
public enum InfluxValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case double(Double)
    case string(String)
    case boolean(Bool)

    init(_ value: FieldValue?) {
        switch value {
        case nil: self = .null
        case .double(let number)?: self = .double(number)
        case .integer(let number)?: self = .integer(number)
        case .boolean(let flag)?: self = .boolean(flag)
        case .string(let text)?: self = .string(text)
        }
    }
}

/// A series of an InfluxQL result: name, tags, columns and rows.
public struct InfluxSeries: Sendable, Equatable {
    public var name: String
    public var tags: [String: String]?
    public var columns: [String]
    public var values: [[InfluxValue]]
}

/// The result of one statement: series, or an error.
public struct InfluxStatementResult: Sendable, Equatable {
    public var statementID: Int
    public var series: [InfluxSeries] = []
    public var error: String?

    public init(statementID: Int, series: [InfluxSeries] = [], error: String? = nil) {
        self.statementID = statementID
        self.series = series
        self.error = error
    }
}

/// Writes results as InfluxDB 1.x does (`{"results":[{"statement_id":0,"series":[…]}]}`).
public enum InfluxJSON {
    /// `epoch`: the unit for integer times, or `nil` for RFC 3339 strings.
    public static func encode(_ results: [InfluxStatementResult], epoch: TimePrecision?) -> [UInt8] {
        var out = "{\"results\":["
        for (index, result) in results.enumerated() {
            if index > 0 { out += "," }
            out += "{\"statement_id\":\(result.statementID)"
            if let error = result.error {
                out += ",\"error\":" + Self.string(error)
            } else if !result.series.isEmpty {
                out += ",\"series\":["
                for (position, series) in result.series.enumerated() {
                    if position > 0 { out += "," }
                    out += "{\"name\":" + Self.string(series.name)
                    if let tags = series.tags {
                        out += ",\"tags\":{"
                        out += tags.sorted { $0.key < $1.key }.map { Self.string($0.key) + ":" + Self.string($0.value) }.joined(separator: ",")
                        out += "}"
                    }
                    out += ",\"columns\":[" + series.columns.map(Self.string).joined(separator: ",") + "],\"values\":["
                    let timeColumn = series.columns.first == "time"
                    for (rowIndex, row) in series.values.enumerated() {
                        if rowIndex > 0 { out += "," }
                        out += "["
                        for (column, value) in row.enumerated() {
                            if column > 0 { out += "," }
                            if column == 0 && timeColumn, case .integer(let ns) = value {
                                if let epoch { out += String(ns / epoch.nanoseconds) } else { out += "\"" + RFC3339.format(ns) + "\"" }
                                continue
                            }
                            Self.append(value, to: &out)
                        }
                        out += "]"
                    }
                    out += "]}"
                }
                out += "]"
            }
            out += "}"
        }
        out += "]}"
        return Array(out.utf8)
    }

    /// An error body in Influx's shape: `{"error":"…"}`.
    public static func error(_ message: String) -> [UInt8] {
        Array(("{\"error\":" + Self.string(message) + "}").utf8)
    }

    private static func append(_ value: InfluxValue, to out: inout String) {
        switch value {
        case .null: out += "null"
        case .integer(let number): out += String(number)
        case .double(let number): out += number.isFinite ? Self.double(number) : "null"
        case .string(let text): out += Self.string(text)
        case .boolean(let flag): out += flag ? "true" : "false"
        }
    }

    private static func double(_ number: Double) -> String {
        if number == number.rounded(), abs(number) < 1e15 { return String(Int64(number)) }
        return "\(number)"
    }

    static func string(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
