/// RFC 3339 times with optional fractional seconds (to the nanosecond), the JSON time format.
public enum RFC3339 {
    /// Why a text is not an accepted time.
    public enum ParseError: Error, Sendable, Equatable {
        /// Not of the form `2026-01-01T00:00:00Z` / `…00.123+02:00`.
        case malformed
        /// Well formed but outside ``TimeBounds`` (for instance year 9999).
        case outOfRange
    }

    /// Parses `2026-01-01T00:00:00Z` or `2026-01-01T00:00:00.123456789+02:00` into ns since the epoch.
    /// - Returns: nil when the text is malformed or outside ``TimeBounds``.
    public static func parse(_ text: String) -> Int64? { try? Self.parseChecked(text) }

    /// Parses an RFC 3339 time, telling a malformed text from a time outside ``TimeBounds``.
    /// - Throws: ``ParseError``.
    public static func parseChecked(_ text: String) throws(ParseError) -> Int64 {
        guard text.utf8.count <= 64 else { throw .malformed }
        let scalars = Array(text.utf8)
        guard scalars.count >= 20 else { throw .malformed }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                guard index < scalars.count, scalars[index] >= 48, scalars[index] <= 57 else { return nil }
                value = value * 10 + Int(scalars[index] - 48)
            }
            return value
        }
        guard let year = number(0..<4), scalars[4] == 45, let month = number(5..<7), scalars[7] == 45,
            let day = number(8..<10), scalars[10] == 84 || scalars[10] == 116 || scalars[10] == 32,
            let hour = number(11..<13), scalars[13] == 58, let minute = number(14..<16), scalars[16] == 58,
            let second = number(17..<19), (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { throw .malformed }
        guard day <= Self.daysIn(month: month, year: year) else { throw .malformed }
        var index = 19
        var fraction: Int64 = 0
        if index < scalars.count, scalars[index] == 46 {
            index += 1
            var digits = 0
            while index < scalars.count, scalars[index] >= 48, scalars[index] <= 57 {
                if digits < 9 {
                    fraction = fraction * 10 + Int64(scalars[index] - 48)
                    digits += 1
                }
                index += 1
            }
            guard digits > 0 else { throw .malformed }
            for _ in digits..<9 { fraction *= 10 }
        }
        guard index < scalars.count else { throw .malformed }
        var offsetSeconds = 0
        if scalars[index] == 90 || scalars[index] == 122 {
            index += 1
        } else if scalars[index] == 43 || scalars[index] == 45 {
            guard let hours = number(index + 1..<index + 3), index + 3 < scalars.count, scalars[index + 3] == 58,
                let minutes = number(index + 4..<index + 6), hours < 24, minutes < 60
            else { throw .malformed }
            offsetSeconds = (hours * 3600 + minutes * 60) * (scalars[index] == 43 ? 1 : -1)
            index += 6
        } else {
            throw .malformed
        }
        guard index == scalars.count else { throw .malformed }
        // Years have four digits, so days and seconds fit easily; only the step to ns can overflow.
        let days = Self.daysFromCivil(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second - offsetSeconds)
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow, case let (time, false) = whole.addingReportingOverflow(fraction), TimeBounds.contains(time) else {
            throw .outOfRange
        }
        return time
    }

    /// Formats ns since the epoch as RFC 3339 UTC with as many fractional digits as needed.
    public static func format(_ nanoseconds: Int64) -> String {
        // Floor division that cannot overflow, even at Int64.min.
        var (seconds, fraction) = nanoseconds.quotientAndRemainder(dividingBy: 1_000_000_000)
        if fraction < 0 {
            seconds -= 1
            fraction += 1_000_000_000
        }
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = Self.civil(fromDays: Int(days))
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        var text = "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(Int(secondOfDay / 3600), 2)):"
            + "\(pad(Int(secondOfDay % 3600 / 60), 2)):\(pad(Int(secondOfDay % 60), 2))"
        if fraction > 0 {
            var digits = pad(Int(fraction), 9)
            while digits.hasSuffix("0") { digits.removeLast() }
            text += "." + digits
        }
        return text + "Z"
    }

    /// The number of days in a month of the proleptic Gregorian calendar.
    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil).
    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
