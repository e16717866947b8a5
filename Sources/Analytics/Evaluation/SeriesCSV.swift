import Foundation

/// One `timestamp,value` CSV file: the rows' text as found (copied verbatim to the output) and their
/// parsed times and values.
public struct SeriesCSV: Sendable {
    /// The header line, as found.
    public var header: String
    public var timestampTexts: [Substring] = []
    public var valueTexts: [Substring] = []
    /// Seconds since the epoch, `nan` where the timestamp could not be read.
    public var times: [Double] = []
    /// `nan` where the value is empty or not a number.
    public var values: [Double] = []

    public var count: Int { self.values.count }

    /// Parses a file's text. The columns named `timestamp` and `value` are used (any case), else the
    /// first two.
    public init(text: String, path: String) throws(AnalyticsError) {
        var lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
        while let last = lines.last, last.trimmingCharacters(in: .whitespaces).isEmpty { lines.removeLast() }
        guard let headerLine = lines.first else {
            throw AnalyticsError(.malformedInput, "\(path) is empty; expected a header line 'timestamp,value' and rows")
        }
        self.header = String(headerLine.trimmingSuffix("\r"))
        let names = self.header.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"")).lowercased()
        }
        let timeColumn = names.firstIndex(of: "timestamp") ?? 0
        let valueColumn = names.firstIndex(of: "value") ?? (timeColumn == 0 ? 1 : 0)
        guard names.count >= 2 else {
            throw AnalyticsError(.malformedInput, "\(path): the header '\(self.header)' has fewer than two columns; expected 'timestamp,value'")
        }
        let rows = lines.dropFirst()
        self.timestampTexts.reserveCapacity(rows.count)
        self.valueTexts.reserveCapacity(rows.count)
        self.times.reserveCapacity(rows.count)
        self.values.reserveCapacity(rows.count)
        for (number, line) in zip(2..., rows) {
            let cells = line.trimmingSuffix("\r").split(separator: ",", omittingEmptySubsequences: false)
            guard cells.count > max(timeColumn, valueColumn) else {
                throw AnalyticsError(.malformedInput, "\(path) line \(number): expected \(names.count) columns, found \(cells.count)")
            }
            let timeText = cells[timeColumn]
            let valueText = cells[valueColumn]
            self.timestampTexts.append(Substring(timeText))
            self.valueTexts.append(Substring(valueText))
            self.times.append(TimestampText.seconds(Array(timeText.utf8)) ?? .nan)
            let trimmed = valueText.trimmingCharacters(in: CharacterSet(charactersIn: " \""))
            self.values.append(Double(trimmed) ?? .nan)
        }
    }
}

extension Substring {
    func trimmingSuffix(_ suffix: String) -> Substring {
        self.hasSuffix(suffix) ? self.dropLast(suffix.count) : self
    }
}
