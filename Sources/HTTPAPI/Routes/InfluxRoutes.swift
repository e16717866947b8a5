import Foundation
import HTTPTypes
import Hummingbird
import Logging
import TimeSeries
import TwinGuardCore
import Twins

/// InfluxDB 1.x compatible endpoints (`/ping`, `/write`, `/query`), so that Telegraf, Node-RED and
/// Grafana's InfluxDB data source work unchanged. `db` is the tenant; errors come in Influx's shape.
struct InfluxRoutes: RouteSet {
    static let paths: Set<String> = ["/write", "/query", "/ping"]
    static let maximumBody = 64 * 1_048_576
    /// The most a gzip body may expand to (it is ingested in batches while it expands).
    static let maximumDecompressedBody = 256 * 1_048_576
    static let version = "1.8.10-twinguard"

    let dependencies: HTTPAPIDependencies

    static func declare(_ api: inout APIRoutes.Declarations<Self>) {
        api.get("/ping", .anyone) { _, _, _ in Self.ping() }
        api.post("/write", .needs(.writeTelemetry)) { routes, request, context in try await routes.write(request, context) }
        api.get("/query", .needs(.read)) { routes, request, context in try await routes.query(request, context, body: nil) }
        api.post("/query", .needs(.read)) { routes, request, context in
            try await routes.query(request, context, body: try await HTTPJSON.body(request, limit: 1_048_576))
        }
    }

    private static func ping() -> Response {
        Response(status: .noContent, headers: [HTTPField.Name("X-Influxdb-Version")!: Self.version])
    }

    private static func influxError(_ status: HTTPResponse.Status, _ message: String) -> Response {
        HTTPJSON.bytes(status, InfluxJSON.error(message), extraHeaders: [HTTPField.Name("X-Influxdb-Error")!: String(message.prefix(200))])
    }

    /// The tenant named by `db`, which must be the caller's own.
    private func tenant(_ db: String?, _ context: APIRequestContext) throws -> TenantLookup {
        let principal = try context.requirePrincipal()
        guard let db, !db.isEmpty else { return .refused(Self.influxError(.badRequest, "database is required")) }
        guard let tenant = TenantID(db), self.dependencies.registry.tenantExists(tenant) else {
            return .refused(Self.influxError(.notFound, "database not found: \"\(db)\""))
        }
        // Development mode is InfluxDB with authentication off: `db` picks any tenant.
        guard tenant == principal.tenant || principal.spansTenants else {
            context.logger.notice("influx access denied", metadata: ["auth.decision": "deny", "auth.reason": "tenant mismatch", "tenant": "\(db)"])
            return .refused(Self.influxError(.forbidden, "database not found or not allowed: \"\(db)\""))
        }
        return .found(tenant)
    }

    private func write(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let tenant: TenantID
        let parameters = FormEncoding.decode(request.uri.query ?? "")
        switch try self.tenant(parameters["db"], context) {
        case .found(let found): tenant = found
        case .refused(let response): return response
        }
        guard let precision = TimePrecision(influx: parameters["precision"] ?? "ns") else {
            return Self.influxError(.badRequest, "invalid precision: use n, u, ms, s, m or h")
        }
        var body: [UInt8]
        do {
            body = try await HTTPJSON.body(request, limit: Self.maximumBody)
        } catch {
            return Self.influxError(.contentTooLarge, "request entity too large: at most \(Self.maximumBody / 1_048_576) MiB a request")
        }
        // Batches of whole lines, so that memory is bounded by a batch, not by the (decompressed) body.
        var batches = LineProtocolBatches(ingestor: self.dependencies.ingestor, tenant: tenant, precision: precision)
        if request.headers[.contentEncoding]?.lowercased() == "gzip" {
            do throws(Gzip.Failure) {
                // First only measure and check it (nothing kept), so that a damaged or oversized body stores
                // nothing; then decode again into the batches.
                try Gzip.decompress(body, limit: Self.maximumDecompressedBody) { _ in }
                try Gzip.decompress(body, limit: Self.maximumDecompressedBody) { batches.append($0) }
            } catch {
                let status: HTTPResponse.Status = error.tooLarge ? .contentTooLarge : .badRequest
                return Self.influxError(status, "unable to decode gzip body: \(error.message)")
            }
        } else {
            batches.append(body)
        }
        body = []
        let report = batches.finish()
        do throws(TimeSeriesError) {
            try await self.dependencies.ingestor.waitUntilDurable(report)
        } catch {
            return Self.influxError(.serviceUnavailable, "write failed: \(error.message)")
        }
        guard report.rejected.isEmpty else {
            let first = report.rejected[0].message
            if report.accepted == 0 && report.rejected.count == 1 && report.rejected[0].path == "$" {
                return Self.influxError(.notFound, first)
            }
            let message = "partial write: \(first) dropped=\(report.rejectedCount)"
            return Self.influxError(.badRequest, message)
        }
        return Response(status: .noContent, headers: [HTTPField.Name("X-Influxdb-Version")!: Self.version])
    }

    private func query(_ request: Request, _ context: APIRequestContext, body: [UInt8]?) async throws -> Response {
        let principal = try context.requirePrincipal()
        var parameters = FormEncoding.decode(request.uri.query ?? "")
        if let body, !body.isEmpty, request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") ?? true {
            parameters.merge(FormEncoding.decode(String(decoding: body, as: UTF8.self))) { _, form in form }
        }
        guard let text = parameters["q"], !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            return Self.influxError(.badRequest, "missing required parameter \"q\"")
        }
        var epoch: TimePrecision?
        if let value = parameters["epoch"] {
            guard let parsed = TimePrecision(influx: value) else { return Self.influxError(.badRequest, "invalid epoch: use ns, u, ms, s, m or h") }
            epoch = parsed
        }
        let statements: [InfluxQLStatement]
        do throws(TimeSeriesError) {
            statements = try InfluxQLParser.parse(text, now: WallClock.nowNanoseconds())
        } catch {
            return Self.influxError(.badRequest, error.message)
        }
        let executor = self.dependencies.influxExecutor(principal)
        var results: [InfluxStatementResult] = []
        for (index, statement) in statements.enumerated() {
            switch statement {
            case .showDatabases:
                results.append(executor.run(statement, tenant: principal.tenant, id: index))
            case .createDatabase(let name):
                var result = InfluxStatementResult(statementID: index)
                if let tenant = TenantID(name) {
                    if tenant == principal.tenant || principal.spansTenants {
                        try await self.dependencies.registry.createTenant(tenant)
                        context.logger.info("tenant created", metadata: ["tenant": "\(tenant)", "principal": "\(principal)"])
                    } else {
                        result.error = "not authorized to create database \"\(name)\""
                    }
                } else {
                    result.error = "invalid database name \"\(name)\": use 1 to 64 characters of A-Z a-z 0-9 . _ : -"
                }
                results.append(result)
            default:
                let db = parameters["db"]
                var result = InfluxStatementResult(statementID: index)
                switch try self.tenant(db, context) {
                case .found(let tenant):
                    result = executor.run(statement, tenant: tenant, id: index)
                case .refused:
                    result.error = db == nil || db!.isEmpty ? "database name required" : "database not found: \(db!)"
                }
                results.append(result)
            }
        }
        return HTTPJSON.bytes(.ok, InfluxJSON.encode(results, epoch: epoch), extraHeaders: [HTTPField.Name("X-Influxdb-Version")!: Self.version])
    }
}

/// The tenant a `db` parameter names, or the Influx-shaped refusal.
enum TenantLookup {
    case found(TenantID)
    case refused(Response)
}
