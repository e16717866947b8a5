import Foundation
import Synchronization
import TimeSeries
import TwinGuardCore

/// The outcome of one ingest request: how many points were taken, which were refused and why, which
/// were stored but flagged out of range, and the log position to wait for before acknowledging.
public struct IngestReport: Sendable {
    public var accepted = 0
    public var rejected: [TwinError.Issue] = []
    public var flagged: [TwinError.Issue] = []
    /// The twin of each flagged value.
    var flaggedTwins: [String] = []
    /// Twins whose first point created them.
    public var createdTwins: [String] = []
    var receipt: TimeSeriesStore.Receipt?
}

/// Turns telemetry in every accepted format (line protocol, JSON) into points of twins: maps series to
/// twins (creating open twins unless the tenant is strict), checks each point against the model, and
/// writes the good ones to the time-series store.
public final class TelemetryIngestor: Sendable {
    /// The measurement of telemetry sent as JSON.
    public static let jsonMeasurement = "telemetry"

    let registry: TwinRegistry
    let timeSeries: TimeSeriesStore
    let pointsAccepted = Atomic<Int>(0)

    public init(registry: TwinRegistry, timeSeries: TimeSeriesStore) {
        self.registry = registry
        self.timeSeries = timeSeries
    }

    /// Every point accepted, whatever its route.
    public var acceptedPointsTotal: Int { self.pointsAccepted.load(ordering: .relaxed) }

    /// A parsed point before it is bound to a series.
    struct PendingPoint {
        var rawSeries: String
        var fields: [(String, FieldValue)]
        var timestamp: Int64
        var location: String
    }

    /// Line protocol as InfluxDB's `/write` takes it; `twin` fixes the twin (MQTT topic), otherwise the
    /// `twin` tag or the measurement and tag set name it.
    public func writeLineProtocol(
        _ body: [UInt8], tenant: TenantID, precision: TimePrecision, twin: String? = nil, now: Int64 = WallClock.nowNanoseconds()
    ) -> IngestReport {
        var report = IngestReport()
        var points: [PendingPoint] = []
        LineProtocol.parse(
            body, precision: precision, now: now,
            onLine: { line in
                points.append(PendingPoint(rawSeries: line.rawSeries, fields: line.fields, timestamp: line.timestamp, location: "line \(line.lineNumber)"))
            },
            onError: { error in
                report.rejected.append(.init(path: "line \(error.lineNumber)", message: error.description))
            })
        self.store(points, tenant: tenant, fixedTwin: twin, now: now, into: &report)
        return report
    }

    /// Telemetry as JSON: one object of field → number, boolean or string (optional `ts` as integer ns
    /// or RFC 3339), or an array of such objects.
    public func writeJSON(_ body: [UInt8], tenant: TenantID, twin: String, now: Int64 = WallClock.nowNanoseconds()) -> IngestReport {
        var report = IngestReport()
        let document: JSONValue
        do {
            document = try JSONDecoder().decode(JSONValue.self, from: Data(body))
        } catch {
            report.rejected.append(.init(path: "$", message: "not valid JSON; send an object of field values or an array of them"))
            return report
        }
        let objects: [(String, [String: JSONValue])]
        switch document {
        case .object(let object): objects = [("$", object)]
        case .array(let array):
            guard !array.isEmpty else {
                report.rejected.append(.init(path: "$", message: "an empty array holds no points"))
                return report
            }
            var list: [(String, [String: JSONValue])] = []
            for (index, element) in array.enumerated() {
                guard case .object(let object) = element else {
                    report.rejected.append(.init(path: "$[\(index)]", message: "expected an object of field values"))
                    continue
                }
                list.append(("$[\(index)]", object))
            }
            objects = list
        default:
            report.rejected.append(.init(path: "$", message: "expected an object of field values or an array of them"))
            return report
        }
        var points: [PendingPoint] = []
        for (path, object) in objects {
            var timestamp = now
            if let ts = object["ts"] {
                guard let parsed = Self.timestamp(ts) else {
                    report.rejected.append(.init(path: "\(path).ts", message: "expected integer ns since the epoch or an RFC 3339 time"))
                    continue
                }
                timestamp = parsed
            }
            var fields: [(String, FieldValue)] = []
            var bad = false
            for (name, value) in object.sorted(by: { $0.key < $1.key }) where name != "ts" {
                guard let field = value.fieldValue else {
                    report.rejected.append(.init(path: "\(path).\(name)", message: "expected a number, boolean or string, got \(value.typeName)"))
                    bad = true
                    break
                }
                fields.append((name, field))
            }
            if bad { continue }
            guard !fields.isEmpty else {
                report.rejected.append(.init(path: path, message: "no fields"))
                continue
            }
            points.append(PendingPoint(rawSeries: Self.jsonMeasurement, fields: fields, timestamp: timestamp, location: path))
        }
        self.store(points, tenant: tenant, fixedTwin: twin, now: now, into: &report)
        return report
    }

    /// Calls `completion` when the report's points are durable (at once when there are none).
    public func whenDurable(_ report: IngestReport, _ completion: @escaping @Sendable (Result<Void, TimeSeriesError>) -> Void) {
        guard let receipt = report.receipt else {
            completion(.success(()))
            return
        }
        self.timeSeries.whenDurable(receipt, completion)
    }

    /// Waits until the report's points are durable.
    public func waitUntilDurable(_ report: IngestReport) async throws(TimeSeriesError) {
        guard let receipt = report.receipt else { return }
        try await self.timeSeries.waitUntilDurable(receipt)
    }

    static func timestamp(_ value: JSONValue) -> Int64? {
        switch value {
        case .integer(let integer):
            return integer
        case .number(let number):
            guard number == number.rounded(), abs(number) < 9.2e18 else { return nil }
            return Int64(number)
        case .string(let text):
            return RFC3339.parse(text)
        default:
            return nil
        }
    }
}
