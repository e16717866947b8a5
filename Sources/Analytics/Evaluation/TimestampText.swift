import TwinGuardCore

/// Reads the timestamps of CSV files as found in the wild: `2014-04-01 00:00:00`, ISO 8601 / RFC 3339
/// with `T`, fraction and zone, a date alone, or a number of seconds, milliseconds, microseconds or
/// nanoseconds since the epoch.
public enum TimestampText {
    /// Seconds since the epoch (UTC when no zone is given), or `nil`.
    public static func seconds<Bytes: Collection<UInt8>>(_ text: Bytes) -> Double? where Bytes.Index == Int {
        var bytes = Array(text)
        while let first = bytes.first, first == 32 || first == 34 { bytes.removeFirst() }
        while let last = bytes.last, last == 32 || last == 34 || last == 13 { bytes.removeLast() }
        guard !bytes.isEmpty else { return nil }
        if bytes.count >= 10, bytes[4] == 45, bytes[7] == 45 { return Self.calendar(bytes) }
        guard let number = Double(String(decoding: bytes, as: UTF8.self)), number.isFinite else { return nil }
        let magnitude = abs(number)
        return magnitude < 1e11 ? number : magnitude < 1e14 ? number / 1e3 : magnitude < 1e17 ? number / 1e6 : number / 1e9
    }

    private static func calendar(_ b: [UInt8]) -> Double? {
        func digits(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                guard index < b.count, b[index] >= 48, b[index] <= 57 else { return nil }
                value = value * 10 + Int(b[index] - 48)
            }
            return value
        }
        guard let year = digits(0..<4), let month = digits(5..<7), let day = digits(8..<10), (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var seconds = Double(RFC3339.daysFromCivil(year: year, month: month, day: day)) * 86_400
        guard b.count > 10 else { return seconds }
        guard b[10] == 32 || b[10] == 84 || b[10] == 116, let hour = digits(11..<13), b.count >= 16, b[13] == 58,
            let minute = digits(14..<16)
        else { return nil }
        seconds += Double(hour * 3600 + minute * 60)
        var index = 16
        if index < b.count, b[index] == 58 {
            guard let second = digits(17..<19) else { return nil }
            seconds += Double(second)
            index = 19
            if index < b.count, b[index] == 46 || b[index] == 44 {
                index += 1
                var scale = 0.1
                while index < b.count, b[index] >= 48, b[index] <= 57 {
                    seconds += Double(b[index] - 48) * scale
                    scale /= 10
                    index += 1
                }
            }
        }
        guard index < b.count else { return seconds }
        if b[index] == 90 || b[index] == 122 { return index + 1 == b.count ? seconds : nil }
        guard b[index] == 43 || b[index] == 45, let hours = digits(index + 1..<index + 3) else { return nil }
        var minutes = 0
        if index + 3 < b.count {
            let start = b[index + 3] == 58 ? index + 4 : index + 3
            guard let parsed = digits(start..<start + 2), start + 2 == b.count else { return nil }
            minutes = parsed
        }
        let offset = Double(hours * 3600 + minutes * 60)
        return b[index] == 43 ? seconds - offset : seconds + offset
    }
}
