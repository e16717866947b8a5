import TwinGuardCore

/// The points of one column (one field of one series) in time order: timestamps and values side by side.
///
/// Values live in the array of the column's type: `doubles` for doubles, `integers` for integers and
/// booleans (0 or 1), `strings` for strings.
public struct ColumnData: Sendable, Equatable {
    public let type: FieldType
    public var timestamps: [Int64] = []
    public var doubles: [Double] = []
    public var integers: [Int64] = []
    public var strings: [String] = []

    public init(type: FieldType) {
        self.type = type
    }

    public var count: Int { self.timestamps.count }
    public var isEmpty: Bool { self.timestamps.isEmpty }

    /// Appends one point; the value must have the column's type (integers widen to doubles).
    public mutating func append(_ timestamp: Int64, _ value: FieldValue) {
        self.timestamps.append(timestamp)
        switch (self.type, value) {
        case (.double, .double(let number)): self.doubles.append(number)
        case (.double, .integer(let number)): self.doubles.append(Double(number))
        case (.integer, .integer(let number)): self.integers.append(number)
        case (.boolean, .boolean(let flag)): self.integers.append(flag ? 1 : 0)
        case (.string, .string(let text)): self.strings.append(text)
        default: preconditionFailure("value of type \(value.type) appended to a \(self.type) column")
        }
    }

    /// The value at `index`.
    public func value(at index: Int) -> FieldValue {
        switch self.type {
        case .double: .double(self.doubles[index])
        case .integer: .integer(self.integers[index])
        case .boolean: .boolean(self.integers[index] != 0)
        case .string: .string(self.strings[index])
        }
    }

    /// The value at `index` as a number (`nil` for strings).
    @inline(__always) func numeric(at index: Int) -> Double? {
        switch self.type {
        case .double: self.doubles[index]
        case .integer, .boolean: Double(self.integers[index])
        case .string: nil
        }
    }

    /// Whether timestamps strictly increase.
    var isStrictlyOrdered: Bool {
        var index = 1
        while index < self.timestamps.count {
            if self.timestamps[index] <= self.timestamps[index - 1] { return false }
            index += 1
        }
        return true
    }

    /// Sorts by time; of points with the same timestamp the one appended last wins (InfluxDB semantics).
    mutating func normalize() {
        if self.isStrictlyOrdered { return }
        let order = self.timestamps.indices.sorted { lhs, rhs in
            self.timestamps[lhs] != self.timestamps[rhs] ? self.timestamps[lhs] < self.timestamps[rhs] : lhs < rhs
        }
        var result = ColumnData(type: self.type)
        for (position, index) in order.enumerated() {
            let isLastOfItsTime =
                position + 1 == order.count || self.timestamps[order[position + 1]] != self.timestamps[index]
            if isLastOfItsTime { result.appendRow(from: self, at: index) }
        }
        self = result
    }

    /// Copies row `index` of `other` (same type) to the end.
    @inline(__always) mutating func appendRow(from other: ColumnData, at index: Int) {
        self.timestamps.append(other.timestamps[index])
        switch self.type {
        case .double: self.doubles.append(other.doubles[index])
        case .integer, .boolean: self.integers.append(other.integers[index])
        case .string: self.strings.append(other.strings[index])
        }
    }

    /// The rows with `from <= timestamp < to` (the column must be normalized).
    func slice(from: Int64, to: Int64) -> ColumnData {
        let lower = self.timestamps.partitionPoint { $0 >= from }
        let upper = self.timestamps.partitionPoint { $0 >= to }
        if lower == 0 && upper == self.count { return self }
        var result = ColumnData(type: self.type)
        guard lower < upper else { return result }
        result.timestamps = Array(self.timestamps[lower..<upper])
        switch self.type {
        case .double: result.doubles = Array(self.doubles[lower..<upper])
        case .integer, .boolean: result.integers = Array(self.integers[lower..<upper])
        case .string: result.strings = Array(self.strings[lower..<upper])
        }
        return result
    }

    /// Merges normalized columns, oldest first: on equal timestamps the later column's value wins.
    static func merge(_ parts: [ColumnData], type: FieldType) -> ColumnData {
        let nonEmpty = parts.filter { !$0.isEmpty }
        if nonEmpty.isEmpty { return ColumnData(type: type) }
        if nonEmpty.count == 1 { return nonEmpty[0] }
        // Fast path: parts that follow each other in time need no interleaving.
        var disjoint = true
        for index in 1..<nonEmpty.count where nonEmpty[index].timestamps[0] <= nonEmpty[index - 1].timestamps.last! {
            disjoint = false
            break
        }
        var combined = ColumnData.appending(nonEmpty, type: type)
        if !disjoint { combined.normalize() }
        return combined
    }

    /// The rows of `parts` one after the other, as they are.
    static func appending(_ parts: [ColumnData], type: FieldType) -> ColumnData {
        var combined = ColumnData(type: type)
        for part in parts {
            combined.timestamps += part.timestamps
            combined.doubles += part.doubles
            combined.integers += part.integers
            combined.strings += part.strings
        }
        return combined
    }
}
