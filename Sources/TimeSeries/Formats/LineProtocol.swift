import TwinGuardCore

#if canImport(Glibc)
import Glibc
#endif

/// The timestamp unit of line protocol (`precision=` of InfluxDB's `/write`).
public enum TimePrecision: String, Sendable {
    case nanoseconds = "ns", microseconds = "u", milliseconds = "ms", seconds = "s", minutes = "m", hours = "h"

    /// Parses `precision` as InfluxDB 1.x accepts it (`n`, `ns`, `u`, `us`, `µ`, `ms`, `s`, `m`, `h`).
    public init?(influx value: String) {
        switch value {
        case "", "n", "ns": self = .nanoseconds
        case "u", "us", "µ", "µs": self = .microseconds
        case "ms": self = .milliseconds
        case "s": self = .seconds
        case "m": self = .minutes
        case "h": self = .hours
        default: return nil
        }
    }

    /// Nanoseconds per unit.
    public var nanoseconds: Int64 {
        switch self {
        case .nanoseconds: 1
        case .microseconds: 1_000
        case .milliseconds: 1_000_000
        case .seconds: 1_000_000_000
        case .minutes: 60_000_000_000
        case .hours: 3_600_000_000_000
        }
    }
}

/// One parsed line of InfluxDB line protocol. The series part is kept raw (`measurement,tag=v,…`) so that
/// callers can cache what it maps to and parse tags only the first time (``LineProtocol/parseSeries(_:)``).
public struct LineProtocolLine: Sendable {
    /// `measurement[,tag=value…]` exactly as sent (escapes included).
    public var rawSeries: String = ""
    public var fields: [(String, FieldValue)] = []
    /// In ns; the request's time when the line has none.
    public var timestamp: Int64 = 0
    /// The 1-based line number in the body.
    public var lineNumber = 0
}

/// A line that could not be parsed, with InfluxDB's wording.
public struct LineProtocolError: Error, Sendable, CustomStringConvertible {
    public var lineNumber: Int
    public var line: String
    public var reason: String
    public var description: String { "unable to parse '\(self.line)': \(self.reason)" }
}

/// A fast parser of InfluxDB line protocol
/// (`measurement[,tag=value…] field=value[,field=value…] [timestamp]`), working on bytes.
public enum LineProtocol {
    /// Parses a body; calls `onLine` for each good line and `onError` for each bad one (the rest go on).
    /// - Parameters:
    ///   - body: the request body.
    ///   - precision: unit of the timestamps.
    ///   - now: ns timestamp for lines without one.
    ///   - firstLineNumber: the number of the body's first line (a batch of a longer body starts later).
    public static func parse(
        _ body: [UInt8], precision: TimePrecision, now: Int64, firstLineNumber: Int = 1,
        onLine: (inout LineProtocolLine) -> Void, onError: (LineProtocolError) -> Void
    ) {
        var terminated = body
        terminated.append(0)  // strtod stops at the terminator at worst
        terminated.withUnsafeBufferPointer { buffer in
            var line = LineProtocolLine()
            line.fields.reserveCapacity(16)
            var start = 0
            var number = firstLineNumber - 1
            let end = buffer.count - 1
            while start < end {
                var stop = start
                while stop < end && buffer[stop] != UInt8(ascii: "\n") { stop += 1 }
                number += 1
                var trimmedEnd = stop
                if trimmedEnd > start && buffer[trimmedEnd - 1] == UInt8(ascii: "\r") { trimmedEnd -= 1 }
                var first = start
                while first < trimmedEnd && (buffer[first] == 32 || buffer[first] == 9) { first += 1 }
                if first < trimmedEnd && buffer[first] != UInt8(ascii: "#") {
                    line.lineNumber = number
                    switch Self.parseLine(buffer, first, trimmedEnd, precision: precision, now: now, into: &line) {
                    case nil: onLine(&line)
                    case let reason?:
                        let text = String(decoding: UnsafeBufferPointer(rebasing: buffer[first..<trimmedEnd]), as: UTF8.self)
                        onError(LineProtocolError(lineNumber: number, line: text, reason: reason))
                    }
                }
                start = stop + 1
            }
        }
    }

    /// Parses one line into `line`; returns the reason when it is malformed.
    private static func parseLine(
        _ buffer: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, precision: TimePrecision, now: Int64,
        into line: inout LineProtocolLine
    ) -> String? {
        // Series: up to the first unescaped space.
        var index = start
        while index < end && buffer[index] != 32 {
            if buffer[index] == UInt8(ascii: "\\") { index += 1 }
            index += 1
        }
        guard index < end, index > start else { return "missing fields" }
        if buffer[start] == UInt8(ascii: ",") { return "missing measurement" }
        line.rawSeries = String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<index]), as: UTF8.self)
        index += 1
        // Fields.
        line.fields.removeAll(keepingCapacity: true)
        while true {
            let keyStart = index
            var hasEscape = false
            while index < end && buffer[index] != UInt8(ascii: "=") && buffer[index] != 32 && buffer[index] != UInt8(ascii: ",") {
                if buffer[index] == UInt8(ascii: "\\") {
                    hasEscape = true
                    index += 1
                }
                index += 1
            }
            guard index < end, buffer[index] == UInt8(ascii: "="), index > keyStart else { return "invalid field format" }
            var key = String(decoding: UnsafeBufferPointer(rebasing: buffer[keyStart..<min(index, end)]), as: UTF8.self)
            if hasEscape { key = Self.unescape(key) }
            index += 1
            guard index < end else { return "missing field value" }
            let value: FieldValue
            if buffer[index] == UInt8(ascii: "\"") {
                index += 1
                var text: [UInt8] = []
                var closed = false
                while index < end {
                    let byte = buffer[index]
                    if byte == UInt8(ascii: "\\"), index + 1 < end,
                        buffer[index + 1] == UInt8(ascii: "\"") || buffer[index + 1] == UInt8(ascii: "\\")
                    {
                        text.append(buffer[index + 1])
                        index += 2
                        continue
                    }
                    if byte == UInt8(ascii: "\"") {
                        closed = true
                        index += 1
                        break
                    }
                    text.append(byte)
                    index += 1
                }
                guard closed else { return "unbalanced quotes" }
                value = .string(String(decoding: text, as: UTF8.self))
            } else {
                let valueStart = index
                while index < end && buffer[index] != UInt8(ascii: ",") && buffer[index] != 32 { index += 1 }
                guard let parsed = Self.scalar(buffer, valueStart, index) else {
                    let token = String(decoding: UnsafeBufferPointer(rebasing: buffer[valueStart..<index]), as: UTF8.self)
                    return "invalid field value '\(token)' for field '\(key)'"
                }
                value = parsed
            }
            line.fields.append((key, value))
            if index < end && buffer[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            break
        }
        // Timestamp.
        while index < end && buffer[index] == 32 { index += 1 }
        if index == end {
            line.timestamp = now
            return nil
        }
        guard let units = Self.integer(buffer, index, end) else { return "bad timestamp" }
        let (product, overflow) = units.multipliedReportingOverflow(by: precision.nanoseconds)
        guard !overflow else { return "timestamp out of range" }
        line.timestamp = product
        return nil
    }

    /// A number or boolean field value.
    private static func scalar(_ buffer: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> FieldValue? {
        guard start < end else { return nil }
        let last = buffer[end - 1]
        if last == UInt8(ascii: "i") || last == UInt8(ascii: "u") {
            guard let number = Self.integer(buffer, start, end - 1) else { return nil }
            if last == UInt8(ascii: "u") && number < 0 { return nil }
            return .integer(number)
        }
        let first = buffer[start]
        if first == UInt8(ascii: "t") || first == UInt8(ascii: "T") || first == UInt8(ascii: "f") || first == UInt8(ascii: "F") {
            switch String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<end]), as: UTF8.self) {
            case "t", "T", "true", "True", "TRUE": return .boolean(true)
            case "f", "F", "false", "False", "FALSE": return .boolean(false)
            default: return nil
            }
        }
        guard first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || first == UInt8(ascii: ".")
            || (first >= 48 && first <= 57)
        else { return nil }
        var stop: UnsafeMutablePointer<CChar>?
        let pointer = UnsafeRawPointer(buffer.baseAddress! + start).assumingMemoryBound(to: CChar.self)
        let number = strtod(pointer, &stop)
        let expectedEnd = UnsafeRawPointer(buffer.baseAddress! + end)
        guard let stop, UnsafeRawPointer(stop) == expectedEnd, number.isFinite else {
            return nil
        }
        return .double(number)
    }

    private static func integer(_ buffer: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int64? {
        var index = start
        var negative = false
        if index < end && (buffer[index] == UInt8(ascii: "-") || buffer[index] == UInt8(ascii: "+")) {
            negative = buffer[index] == UInt8(ascii: "-")
            index += 1
        }
        guard index < end else { return nil }
        var value: Int64 = 0
        while index < end {
            let digit = buffer[index] &- 48
            guard digit < 10 else { return nil }
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = negative ? times.subtractingReportingOverflow(Int64(digit)) : times.addingReportingOverflow(Int64(digit))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
            index += 1
        }
        return value
    }

    /// Splits a raw series (`measurement,tag=value,…`) into measurement and tags, unescaping both.
    /// - Throws: a reason when a tag has no `=` or an empty key or value.
    public static func parseSeries(_ raw: String) throws(LineProtocolError) -> (measurement: String, tags: [Tag]) {
        let parts = Self.splitUnescaped(raw, on: ",")
        let measurement = Self.unescape(parts[0])
        guard !measurement.isEmpty else { throw LineProtocolError(lineNumber: 0, line: raw, reason: "missing measurement") }
        var tags: [Tag] = []
        for part in parts.dropFirst() {
            let pair = Self.splitUnescaped(part, on: "=")
            guard pair.count == 2, !pair[0].isEmpty, !pair[1].isEmpty else {
                throw LineProtocolError(lineNumber: 0, line: raw, reason: "missing tag value")
            }
            tags.append(Tag(Self.unescape(pair[0]), Self.unescape(pair[1])))
        }
        return (measurement, tags)
    }

    private static func splitUnescaped(_ text: String, on separator: Character) -> [String] {
        var parts: [String] = []
        var current = ""
        var escaped = false
        for character in text {
            if escaped {
                current.append("\\")
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == separator {
                parts.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        if escaped { current.append("\\") }
        parts.append(current)
        return parts
    }

    static func unescape(_ text: String) -> String {
        guard text.contains("\\") else { return text }
        var result = ""
        var escaped = false
        for character in text {
            if escaped {
                if character != "," && character != "=" && character != " " && character != "\\" { result.append("\\") }
                result.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else {
                result.append(character)
            }
        }
        return result
    }
}
