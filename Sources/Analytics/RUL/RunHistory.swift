import Foundation

/// The recorded cycles of one unit (an engine, a bearing): operating settings and sensor readings per
/// cycle, up to failure (training) or up to some cycle before it (prediction).
public struct RunHistory: Sendable {
    public var unit: Int
    /// Operating settings per cycle (altitude, Mach, throttle … for the turbofan data).
    public var settings: [[Double]] = []
    /// Sensor readings per cycle.
    public var sensors: [[Double]] = []

    public init(unit: Int) { self.unit = unit }

    public var cycles: Int { self.sensors.count }
}

/// The whitespace-separated run-to-failure format of NASA's turbofan (C-MAPSS) data: unit, cycle,
/// three operating settings, then the sensors, one cycle a line.
public enum TurbofanFile {
    /// The settings columns after unit and cycle.
    public static let settingsCount = 3

    /// Reads the units of a file, in unit order, each with its cycles in cycle order.
    public static func read(_ url: URL) throws(AnalyticsError) -> [RunHistory] {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw AnalyticsError(.unreadableInput, "cannot read \(url.path): \(error.localizedDescription)")
        }
        return try Self.parse(text, name: url.lastPathComponent)
    }

    /// Parses the text of a file.
    public static func parse(_ text: String, name: String) throws(AnalyticsError) -> [RunHistory] {
        var units: [Int: RunHistory] = [:]
        var lastCycle: [Int: Int] = [:]
        var columns = 0
        for (offset, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "," })
            if fields.isEmpty { continue }
            var numbers: [Double] = []
            numbers.reserveCapacity(fields.count)
            for field in fields {
                guard let number = Double(field), number.isFinite else {
                    throw AnalyticsError(.malformedInput, "\(name) line \(offset + 1): '\(field)' is not a number; expected unit, cycle, 3 settings and the sensors")
                }
                numbers.append(number)
            }
            if columns == 0 {
                guard numbers.count >= 2 + Self.settingsCount + 1 else {
                    throw AnalyticsError(.malformedInput, "\(name) line \(offset + 1): \(numbers.count) columns; expected unit, cycle, 3 settings and at least one sensor")
                }
                columns = numbers.count
            }
            guard numbers.count == columns else {
                throw AnalyticsError(.malformedInput, "\(name) line \(offset + 1): \(numbers.count) columns where earlier lines have \(columns)")
            }
            guard numbers[0] == numbers[0].rounded(), numbers[1] == numbers[1].rounded(), abs(numbers[0]) < 1e9, abs(numbers[1]) < 1e9 else {
                throw AnalyticsError(.malformedInput, "\(name) line \(offset + 1): unit and cycle must be whole numbers")
            }
            let unit = Int(numbers[0])
            let cycle = Int(numbers[1])
            if let previous = lastCycle[unit], cycle <= previous {
                throw AnalyticsError(.malformedInput, "\(name) line \(offset + 1): unit \(unit) cycle \(cycle) comes after cycle \(previous); cycles must increase")
            }
            lastCycle[unit] = cycle
            units[unit, default: RunHistory(unit: unit)].settings.append(Array(numbers[2..<2 + Self.settingsCount]))
            units[unit, default: RunHistory(unit: unit)].sensors.append(Array(numbers[(2 + Self.settingsCount)...]))
        }
        guard !units.isEmpty else { throw AnalyticsError(.malformedInput, "\(name) holds no cycles") }
        return units.keys.sorted().map { units[$0]! }
    }
}
