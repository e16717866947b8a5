import Testing
import TwinGuardCore

@testable import TimeSeries

@Suite("Line protocol parser")
struct LineProtocolTests {
    static func parse(_ text: String, precision: TimePrecision = .nanoseconds) -> ([LineProtocolLine], [LineProtocolError]) {
        var lines: [LineProtocolLine] = []
        var errors: [LineProtocolError] = []
        LineProtocol.parse(Array(text.utf8), precision: precision, now: 42, onLine: { lines.append($0) }, onError: { errors.append($0) })
        return (lines, errors)
    }

    @Test("types, escapes, comments, blank lines, CRLF and a missing timestamp")
    func values() throws {
        let text = """
            # a comment
            weather\\ station,loc=north\\,east,a\\=b=x temp=-1.5e1,count=7i,big=42u,ok=T,no=false,s="say \\"hi\\" \\\\ there" 1000\r

            cpu v=1
            """
        let (lines, errors) = Self.parse(text)
        #expect(errors.isEmpty, "\(errors)")
        #expect(lines.count == 2)
        let first = try #require(lines.first)
        let (measurement, tags) = try LineProtocol.parseSeries(first.rawSeries)
        #expect(measurement == "weather station")
        #expect(tags == [Tag("loc", "north,east"), Tag("a=b", "x")])
        #expect(first.timestamp == 1000)
        #expect(first.fields.map(\.0) == ["temp", "count", "big", "ok", "no", "s"])
        #expect(first.fields[0].1 == .double(-15))
        #expect(first.fields[1].1 == .integer(7))
        #expect(first.fields[3].1 == .boolean(true))
        #expect(first.fields[4].1 == .boolean(false))
        #expect(first.fields[5].1 == .string("say \"hi\" \\ there"))
        #expect(lines[1].timestamp == 42)
    }

    @Test("precision scales timestamps", arguments: [(TimePrecision.seconds, Int64(5_000_000_000)), (.milliseconds, 5_000_000), (.microseconds, 5_000), (.nanoseconds, 5)])
    func precision(unit: TimePrecision, expected: Int64) {
        #expect(Self.parse("m v=1 5", precision: unit).0.first?.timestamp == expected)
    }

    @Test("bad lines are reported with InfluxDB's reasons and the rest still parse", arguments: [
        ("m", "missing fields"),
        (",t=1 v=1", "missing measurement"),
        ("m v", "invalid field format"),
        ("m v=", "missing field value"),
        ("m v=abc", "invalid field value 'abc' for field 'v'"),
        ("m v=\"open", "unbalanced quotes"),
        ("m v=1 12x", "bad timestamp"),
        ("m v=1 99999999999999999999", "bad timestamp"),
        ("m v=1i5", "invalid field value '1i5' for field 'v'"),
        ("m v=-3u", "invalid field value '-3u' for field 'v'"),
        ("m v=1e999", "invalid field value '1e999' for field 'v'"),
    ])
    func errors(line: String, reason: String) {
        let (lines, errors) = Self.parse(line + "\nok v=1 1")
        #expect(errors.map(\.reason) == [reason])
        #expect(errors.first?.lineNumber == 1)
        #expect(lines.count == 1)
    }

    @Test("a timestamp that overflows at its precision is refused")
    func overflow() {
        #expect(Self.parse("m v=1 9223372036854775807", precision: .seconds).1.first?.reason == "timestamp out of range")
    }
}
