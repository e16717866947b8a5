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
    /// For a batch of messages: the message of each refusal in `rejected`.
    var rejectedMessages: [Int] = []

    /// Refusals beyond ``maximumListed``, counted but not listed (a body of a million bad lines must not
    /// become a million messages).
    public var unlistedRejections = 0
    /// How many refusals are listed at most.
    public static let maximumListed = 1_000

    /// Every refusal, listed or not.
    public var rejectedCount: Int { self.rejected.count + self.unlistedRejections }

    /// Every refusal of one batch is listed (an MQTT batch answers each message by it); ``merge(_:)`` keeps
    /// at most ``maximumListed`` over the batches of a request.
    mutating func reject(_ path: String, _ message: String, inMessage index: Int = 0) {
        self.rejected.append(.init(path: path, message: message))
        self.rejectedMessages.append(index)
    }
    var receipt: TimeSeriesStore.Receipt?

    /// Adds the outcome of a later batch of the same request.
    mutating func merge(_ other: IngestReport) {
        self.accepted += other.accepted
        let room = max(0, Self.maximumListed - self.rejected.count)
        self.rejected += other.rejected.prefix(room)
        self.rejectedMessages += other.rejectedMessages.prefix(room)
        self.unlistedRejections += other.unlistedRejections + max(0, other.rejected.count - room)
        self.flagged += other.flagged.prefix(max(0, Self.maximumListed - self.flagged.count))
        self.createdTwins += other.createdTwins
        // The WAL syncs in order: the latest position being durable means every earlier one is.
        if let later = other.receipt, later.position >= (self.receipt?.position ?? 0) { self.receipt = later }
    }
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
    /// Gets the stored values under anomaly watch (analytics), if anyone watches.
    let observer: (any TelemetryObserver)?

    public init(registry: TwinRegistry, timeSeries: TimeSeriesStore, observer: (any TelemetryObserver)? = nil) {
        self.registry = registry
        self.timeSeries = timeSeries
        self.observer = observer
    }

    /// Every point accepted, whatever its route.
    public var acceptedPointsTotal: Int { self.pointsAccepted.load(ordering: .relaxed) }

    /// A parsed point before it is bound to a series.
    struct PendingPoint {
        var rawSeries: String
        var fields: [(String, FieldValue)]
        var timestamp: Int64
        var location: String
        /// The twin a topic names (MQTT), which the series must belong to.
        var fixedTwin: String?
        /// The message it came in, within a batch.
        var message = 0
    }

    /// Line protocol as InfluxDB's `/write` takes it; `twin` fixes the twin (MQTT topic), otherwise the
    /// `twin` tag or the measurement and tag set name it. A long body goes through ``LineProtocolBatches``,
    /// whose batches start at a later `firstLineNumber`.
    public func writeLineProtocol(
        _ body: [UInt8], tenant: TenantID, precision: TimePrecision, twin: String? = nil, now: Int64 = WallClock.nowNanoseconds(),
        firstLineNumber: Int = 1
    ) -> IngestReport {
        var report = IngestReport()
        var points: [PendingPoint] = []
        Self.parseLineProtocol(
            body, precision: precision, twin: twin, now: now, message: 0, firstLineNumber: firstLineNumber, into: &points, report: &report)
        self.store(points, tenant: tenant, now: now, into: &report)
        return report
    }

    static func parseLineProtocol(
        _ body: [UInt8], precision: TimePrecision, twin: String?, now: Int64, message: Int, firstLineNumber: Int = 1,
        into points: inout [PendingPoint], report: inout IngestReport
    ) {
        LineProtocol.parse(
            body, precision: precision, now: now, firstLineNumber: firstLineNumber,
            onLine: { line in
                points.append(PendingPoint(
                    rawSeries: line.rawSeries, fields: line.fields, timestamp: line.timestamp, location: "line \(line.lineNumber)",
                    fixedTwin: twin, message: message))
            },
            onError: { error in
                report.reject("line \(error.lineNumber)", error.description, inMessage: message)
            })
    }

    /// Telemetry as JSON: one object of field → number, boolean or string (optional `ts` as integer ns
    /// or RFC 3339), or an array of such objects.
    public func writeJSON(_ body: [UInt8], tenant: TenantID, twin: String, now: Int64 = WallClock.nowNanoseconds()) -> IngestReport {
        var report = IngestReport()
        var points: [PendingPoint] = []
        Self.parseJSON(body, twin: twin, now: now, message: 0, into: &points, report: &report)
        self.store(points, tenant: tenant, now: now, into: &report)
        return report
    }

    static func parseJSON(
        _ body: [UInt8], twin: String, now: Int64, message: Int, into points: inout [PendingPoint], report: inout IngestReport
    ) {
        let document: JSONValue
        do {
            document = try JSONDecoder().decode(JSONValue.self, from: Data(body))
        } catch {
            report.reject("$", "not valid JSON; send an object of field values or an array of them", inMessage: message)
            return
        }
        let objects: [(String, [String: JSONValue])]
        switch document {
        case .object(let object): objects = [("$", object)]
        case .array(let array):
            guard !array.isEmpty else {
                report.reject("$", "an empty array holds no points", inMessage: message)
                return
            }
            var list: [(String, [String: JSONValue])] = []
            for (index, element) in array.enumerated() {
                guard case .object(let object) = element else {
                    report.reject("$[\(index)]", "expected an object of field values", inMessage: message)
                    continue
                }
                list.append(("$[\(index)]", object))
            }
            objects = list
        default:
            report.reject("$", "expected an object of field values or an array of them", inMessage: message)
            return
        }
        for (path, object) in objects {
            var timestamp = now
            if let ts = object["ts"] {
                switch Self.timestamp(ts) {
                case .success(let parsed): timestamp = parsed
                case .failure(let problem):
                    report.reject("\(path).ts", problem.message, inMessage: message)
                    continue
                }
            }
            var fields: [(String, FieldValue)] = []
            var bad = false
            for (name, value) in object.sorted(by: { $0.key < $1.key }) where name != "ts" {
                guard let field = value.fieldValue else {
                    report.reject("\(path).\(name)", "expected a number, boolean or string, got \(value.typeName)", inMessage: message)
                    bad = true
                    break
                }
                fields.append((name, field))
            }
            if bad { continue }
            guard !fields.isEmpty else {
                report.reject(path, "no fields", inMessage: message)
                continue
            }
            points.append(PendingPoint(
                rawSeries: Self.jsonMeasurement, fields: fields, timestamp: timestamp, location: path, fixedTwin: twin, message: message))
        }
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

    /// Why a point's time was refused.
    struct TimestampProblem: Error {
        var message: String
        static let malformed = Self(message: "expected integer ns since the epoch or an RFC 3339 time")
        static let outOfRange = Self(message: "time is outside the accepted range \(TimeBounds.rangeDescription)")
    }

    /// A JSON `ts`: integer ns or RFC 3339, within ``TimeBounds``.
    static func timestamp(_ value: JSONValue) -> Result<Int64, TimestampProblem> {
        switch value {
        case .integer(let integer):
            return TimeBounds.contains(integer) ? .success(integer) : .failure(.outOfRange)
        case .number(let number):
            guard number == number.rounded() else { return .failure(.malformed) }
            guard number >= Double(TimeBounds.earliest), number <= Double(TimeBounds.latest) else { return .failure(.outOfRange) }
            return .success(Int64(number))
        case .string(let text):
            do throws(RFC3339.ParseError) {
                return .success(try RFC3339.parseChecked(text))
            } catch {
                return .failure(error == .outOfRange ? .outOfRange : .malformed)
            }
        default:
            return .failure(.malformed)
        }
    }
}
