import Foundation
import HTTPTypes
import Hummingbird
import Logging
import TimeSeries
import TwinGuardCore
import Twins

/// `/api/v1/twins/{id}/telemetry`: write JSON points (acknowledged once durable) and read them back,
/// raw or aggregated per time bucket.
struct TelemetryRoutes: RouteSet {
    let dependencies: HTTPAPIDependencies

    static func declare(_ api: inout APIRoutes.Declarations<Self>) {
        api.post("/api/v1/twins/{id}/telemetry", .needs(.writeTelemetry, sites: .twin(parameter: "id")).devices(.ownTwin(parameter: "id"))) { routes, request, context in
            let principal = try context.requirePrincipal()
            let id = try context.parameters.require("id")
            guard Twin.isValidID(id) else { throw TwinError.invalidTwinIDProblem(id) }
            let body = try await HTTPJSON.body(request, limit: 16 * 1_048_576)
            let report = routes.dependencies.ingestor.writeJSON(body, tenant: principal.tenant, twin: id)
            do throws(TimeSeriesError) {
                try await routes.dependencies.ingestor.waitUntilDurable(report)
            } catch {
                throw ProblemDetails(status: .serviceUnavailable, code: "storage_unavailable", detail: error.message)
            }
            if !report.rejected.isEmpty {
                var problem = ProblemDetails(
                    status: .unprocessableContent, code: "rejected_telemetry",
                    detail: "\(report.rejected.count) point(s) refused, \(report.accepted) stored: \(report.rejected[0].path): \(report.rejected[0].message)")
                problem.errors = report.rejected.prefix(IngestReport.maximumListed).map { ProblemDetails.Issue(path: $0.path, message: $0.message) }
                throw problem
            }
            if !report.flagged.isEmpty {
                return try HTTPJSON.encode(.ok, FlaggedReport(accepted: report.accepted, flagged: report.flagged))
            }
            return Response(status: .noContent)
        }
        api.get("/api/v1/twins/{id}/telemetry", .needs(.read, sites: .twin(parameter: "id"))) { routes, request, context in
            let principal = try context.requirePrincipal()
            let id = try context.parameters.require("id")
            let twin = try routes.dependencies.registry.twin(id, tenant: principal.tenant)
            return try HTTPJSON.encode(.ok, try routes.read(twin, request))
        }
    }

    private struct FlaggedReport: Encodable {
        var accepted: Int
        var flagged: [TwinError.Issue]
    }

    private struct Series: Encodable {
        var twin: String
        var field: String
        var measurement: String
        var tags: [String: String]
        var aggregate: String?
        var every: String?
        var points: [Point]
    }

    private struct Point: Encodable {
        var time: String
        var value: JSONValue
    }

    private struct Reply: Encodable {
        var series: [Series]
    }

    private func read(_ twin: Twin, _ request: Request) throws -> Reply {
        let query = request.form
        guard let field = query["field"], !field.isEmpty else {
            throw ProblemDetails(status: .badRequest, code: "missing_parameter", detail: "Name the field to read: ?field=temperature.")
        }
        let now = WallClock.nowNanoseconds()
        let to = try Self.time(query["to"], name: "to") ?? now + 1
        let from = try Self.time(query["from"], name: "from") ?? to - 3_600_000_000_000
        guard from < to else { throw ProblemDetails(status: .badRequest, code: "invalid_range", detail: "'from' must be before 'to'.") }
        var every: Int64?
        if let text = query["every"] {
            guard let parsed = Self.duration(text), parsed > 0 else {
                throw ProblemDetails(status: .badRequest, code: "invalid_parameter", detail: "'every' must be a duration such as 10s, 1m or 1h.")
            }
            every = parsed
        }
        var aggregate: Aggregate?
        if let name = query["agg"] {
            let (function, argument) = Self.splitPercentile(name)
            guard let parsed = Aggregate(name: function, argument: argument) else {
                throw ProblemDetails(
                    status: .badRequest, code: "invalid_parameter",
                    detail: "'agg' must be count, min, max, mean, sum, first, last, stddev, spread, median or pNN (e.g. p95).")
            }
            aggregate = parsed
        } else if every != nil {
            aggregate = .mean
        }
        if let every, (to - from) / every > 100_000 {
            throw ProblemDetails(status: .badRequest, code: "too_many_buckets", detail: "More than 100000 buckets: widen 'every' or narrow the range.")
        }
        let store = self.dependencies.timeSeries
        var result: [Series] = []
        let tier = query["tier"]
        if let tier, !self.dependencies.tiers(twin.tenant).contains(where: { $0.name == tier }) {
            throw ProblemDetails(status: .badRequest, code: "invalid_parameter", detail: "No downsampling tier '\(tier)' in this tenant; see GET /api/v1/tenant.")
        }
        for series in store.series(tenant: twin.tenant, tagged: twin.id, tier: tier) {
            guard let column = series.columns.first(where: { $0.field == field }) else { continue }
            let data = try store.read(column: column.id, from: from, to: to)
            var points: [Point] = []
            if let aggregate {
                for bucket in Aggregation.run(aggregate, over: data, from: from, to: to, every: every) {
                    guard let value = bucket.value else { continue }
                    points.append(Point(time: RFC3339.format(bucket.start), value: TelemetrySample(time: 0, value: value).value))
                }
            } else {
                let limit = try Self.limit(query["limit"])
                for index in 0..<min(data.count, limit) {
                    points.append(Point(time: RFC3339.format(data.timestamps[index]), value: TelemetrySample(time: 0, value: data.value(at: index)).value))
                }
            }
            var tags: [String: String] = [:]
            for tag in series.key.tags where tag.key != "twin" && tag.key != Downsampler.tierTag { tags[tag.key] = tag.value }
            result.append(Series(
                twin: twin.id, field: field, measurement: series.key.measurement, tags: tags, aggregate: aggregate.map { "\($0)" },
                every: query["every"], points: points))
        }
        if result.isEmpty {
            throw ProblemDetails(status: .notFound, code: "not_found", detail: "Twin '\(twin.id)' has no telemetry field '\(field)'.")
        }
        return Reply(series: result)
    }

    private static func limit(_ text: String?) throws -> Int {
        guard let text else { return 10_000 }
        guard let limit = Int(text), (1...100_000).contains(limit) else {
            throw ProblemDetails(status: .badRequest, code: "invalid_parameter", detail: "'limit' must be an integer from 1 to 100000.")
        }
        return limit
    }

    private static func splitPercentile(_ name: String) -> (String, Double?) {
        if name.hasPrefix("p"), let value = Double(name.dropFirst()) { return ("percentile", value) }
        return (name, nil)
    }

    /// A time as RFC 3339 or integer ns, within ``TimeBounds`` (so that range arithmetic cannot overflow).
    static func time(_ text: String?, name: String) throws -> Int64? {
        guard let text else { return nil }
        var time: Int64?
        if let ns = Int64(text) {
            time = ns
        } else {
            do throws(RFC3339.ParseError) {
                time = try RFC3339.parseChecked(text)
            } catch {
                if error == .malformed {
                    throw ProblemDetails(
                        status: .badRequest, code: "invalid_parameter", detail: "'\(name)' must be an RFC 3339 time or integer ns since the epoch.")
                }
            }
        }
        guard let time, TimeBounds.contains(time) else {
            throw ProblemDetails(
                status: .badRequest, code: "time_out_of_range", detail: "'\(name)' must lie from \(TimeBounds.rangeDescription).")
        }
        return time
    }

    /// A duration such as `500ms`, `10s`, `1m`, `2h`, `1d` (``TimeBounds/duration(_:allowed:)``).
    static func duration(_ text: String) -> Int64? {
        TimeBounds.duration(text, allowed: ["ns", "us", "ms", "s", "m", "h", "d"])
    }
}

extension TwinError {
    static func invalidTwinIDProblem(_ id: String) -> ProblemDetails {
        ProblemDetails(status: .badRequest, code: "invalid", detail: "Twin id '\(id.prefix(140))' is not valid: use 1 to 128 characters of A-Z a-z 0-9 . _ : -.")
    }
}
