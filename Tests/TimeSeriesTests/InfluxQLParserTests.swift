import Testing
import TwinGuardCore

@testable import TimeSeries

@Suite("InfluxQL parser: what Grafana sends, and InfluxDB's error messages")
struct InfluxQLParserTests {
    static let now: Int64 = 1_700_000_000_000_000_000
    static let minute: Int64 = 60_000_000_000

    static func select(_ text: String) throws -> SelectStatement {
        let statements = try InfluxQLParser.parse(text, now: Self.now)
        guard statements.count == 1, case .select(let select) = statements[0] else {
            Issue.record("not one SELECT: \(statements)")
            throw TimeSeriesError.invalidQuery("not one SELECT")
        }
        return select
    }

    @Test("Grafana's time-series query: mean per interval, a time range relative to now, a tag filter, fill")
    func grafanaQuery() throws {
        let select = try Self.select(
            #"SELECT mean("temperature_c") FROM "telemetry" WHERE ("twin" = 'cnc-01') AND time >= now() - 6h GROUP BY time(1m), "twin" fill(none)"#)
        #expect(select.fields == [SelectField(expression: .aggregate(.mean, field: "temperature_c"), alias: nil)])
        #expect(select.measurement == "telemetry")
        #expect(select.from == Self.now - 360 * Self.minute)
        #expect(select.to == nil)
        #expect(select.condition == .equals("twin", "cnc-01"))
        #expect(select.interval == Self.minute)
        #expect(select.groupByTags == ["twin"])
        #expect(select.fill == Fill.none)
    }

    @Test("absolute times in RFC 3339 and epoch with a unit, retention policies, limits, descending order")
    func absoluteRangeAndOptions() throws {
        let select = try Self.select(
            #"SELECT max(x) AS peak FROM "1m"."telemetry" WHERE time >= '2023-11-14T22:13:20Z' AND time < 1700000060000ms GROUP BY time(1m) ORDER BY time DESC LIMIT 10"#)
        #expect(select.retentionPolicy == "1m")
        #expect(select.fields.first?.alias == "peak")
        #expect(select.from == Self.now)
        #expect(select.to == Self.now + Self.minute)
        #expect(select.descending)
        #expect(select.limit == 10)
    }

    @Test("several statements, SHOW and CREATE")
    func statements() throws {
        let statements = try InfluxQLParser.parse("SHOW DATABASES; SHOW MEASUREMENTS LIMIT 5;CREATE DATABASE plant", now: Self.now)
        #expect(statements == [.showDatabases, .showMeasurements(condition: nil, limit: 5), .createDatabase("plant")])
    }

    @Test(
        "errors say what was found, what was expected and where",
        arguments: [
            ("SELEKT x FROM m", "found SELEKT, expected SELECT, SHOW or CREATE at line 1, char 1"),
            ("SELECT x FROM m WHERE", "at line 1, char 22"),
            ("SELECT x FROM m extra", "expected ; or end of query"),
            ("", "empty query"),
        ])
    func errors(query: String, message: String) {
        do {
            _ = try InfluxQLParser.parse(query, now: Self.now)
            Issue.record("'\(query)' parsed")
        } catch {
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    @Test("times outside ±2^62 ns are refused, not wrapped", arguments: ["SELECT x FROM m WHERE time > 9223372036854775807", "SELECT x FROM m WHERE time < '2200-01-01T00:00:00Z'"])
    func outOfRange(query: String) {
        #expect(throws: TimeSeriesError.self) { try InfluxQLParser.parse(query, now: Self.now) }
    }
}
