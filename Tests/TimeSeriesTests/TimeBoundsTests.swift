import Testing
import TimeSeries
import TwinGuardCore

@Suite("Times and durations on the input path are bounded")
struct TimeBoundsTests {
    @Test(
        "RFC 3339 texts far in the future or past are out of range, not a crash",
        arguments: ["9999-12-31T23:59:59Z", "0000-01-01T00:00:00Z", "2262-04-12T00:00:00Z", "1677-09-21T00:12:43Z", "2117-01-01T00:00:00Z"])
    func outOfRange(text: String) {
        #expect(throws: RFC3339.ParseError.outOfRange) { try RFC3339.parseChecked(text) }
        #expect(RFC3339.parse(text) == nil)
    }

    @Test(
        "malformed texts are malformed",
        arguments: ["2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z", "2026-01-01T00:00:00+25:00", "2026-01-01T00:00:00.Z", "x",
                    "2026-01-01T00:00:00Z" + String(repeating: "0", count: 100)])
    func malformed(text: String) {
        #expect(throws: RFC3339.ParseError.malformed) { try RFC3339.parseChecked(text) }
    }

    @Test("boundary and random times round-trip through format and parse")
    func roundTrip() throws {
        var generator = SystemRandomNumberGenerator()
        var times: [Int64] = [TimeBounds.earliest, TimeBounds.latest, 0, -1, 1, 1_000_000_000]
        for _ in 0..<2_000 { times.append(Int64.random(in: TimeBounds.earliest...TimeBounds.latest, using: &generator)) }
        for time in times {
            #expect(try RFC3339.parseChecked(RFC3339.format(time)) == time)
        }
    }

    @Test("formatting never traps, even at the ends of Int64")
    func formatExtremes() {
        for time in [Int64.min, Int64.max, Int64.min + 1, Int64.max - 1] {
            #expect(!RFC3339.format(time).isEmpty)
        }
    }

    @Test("random byte strings never trap the parser")
    func randomTexts() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("0123456789-:TZ+.9 tz")
        for _ in 0..<20_000 {
            let text = String((0..<Int.random(in: 0...40, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
            _ = RFC3339.parse(text)
        }
    }

    @Test(
        "durations: units, overflow and the longest duration",
        arguments: [
            ("10s", Int64(10_000_000_000)), ("500ms", 500_000_000), ("2h", 7_200_000_000_000), ("1w", 604_800_000_000_000),
            ("9223372036854775807ns", nil), ("99999999999999w", nil), ("-5s", nil), ("s", nil), ("5x", nil), ("60000d", nil), ("53375d", 4_611_600_000_000_000_000),
        ] as [(String, Int64?)])
    func durations(text: String, expected: Int64?) {
        #expect(TimeBounds.duration(text) == expected)
    }

    @Test("seconds given as floating point: infinities, NaN and huge values are refused or clamped")
    func floatingSeconds() {
        #expect(TimeBounds.nanoseconds(seconds: .infinity) == nil)
        #expect(TimeBounds.nanoseconds(seconds: .nan) == nil)
        #expect(TimeBounds.nanoseconds(seconds: 1e300) == nil)
        #expect(TimeBounds.nanoseconds(seconds: -1) == nil)
        #expect(TimeBounds.nanoseconds(seconds: 1.5) == 1_500_000_000)
        #expect(TimeBounds.clampedTime(secondsSinceEpoch: 1e300) == TimeBounds.latest)
        #expect(TimeBounds.clampedTime(secondsSinceEpoch: -1e300) == TimeBounds.earliest)
        #expect(TimeBounds.clampedTime(secondsSinceEpoch: .nan) == 0)
    }
}

@Suite("Line protocol timestamps at the edges")
struct LineProtocolTimestampTests {
    @Test(
        "huge timestamps in every precision are refused lines, never a trap",
        arguments: ["9223372036854775807", "-9223372036854775808", "9223372036854775808", "99999999999999999999999", "-1", "0"])
    func extremes(timestamp: String) {
        for precision in [TimePrecision.nanoseconds, .microseconds, .milliseconds, .seconds, .minutes, .hours] {
            var lines = 0
            var errors: [String] = []
            LineProtocol.parse(
                Array("m,t=a v=1 \(timestamp)\n".utf8), precision: precision, now: 0, onLine: { _ in lines += 1 },
                onError: { errors.append($0.reason) })
            #expect(lines + errors.count == 1)
            if let reason = errors.first { #expect(reason == "timestamp out of range" || reason == "bad timestamp", "\(reason)") }
        }
    }
}
