import Foundation
import HTTPTypes
import Hummingbird
import Logging
import TwinGuardCore
import Twins

/// `POST /api/v1/query` (`{"query": "SELECT …"}`) and `GET /api/v1/query?q=…`: the twin query language.
struct QueryRoutes: RouteSet {
    let dependencies: HTTPAPIDependencies

    private struct Body: Decodable {
        var query: String
    }

    static func declare(_ api: inout APIRoutes.Declarations<Self>) {
        api.post("/api/v1/query", .needs(.read)) { routes, request, context in
            let body = try HTTPJSON.decode(Body.self, from: try await HTTPJSON.body(request, limit: 64 * 1024), what: "query")
            return try routes.run(body.query, context)
        }
        api.get("/api/v1/query", .needs(.read)) { routes, request, context in
            guard let text = request.form["q"] else {
                throw ProblemDetails(status: .badRequest, code: "missing_parameter", detail: "Send the query as ?q=SELECT … FROM twins.")
            }
            return try routes.run(text, context)
        }
    }

    private struct Rows: Encodable {
        var items: [JSONValue]
        var count: Int
    }

    private func run(_ text: String, _ context: APIRequestContext) throws -> Response {
        let principal = try context.requirePrincipal()
        let query: TwinQuery
        do throws(TwinQueryError) {
            query = try TwinQueryParser.parse(text)
        } catch {
            throw ProblemDetails(status: .badRequest, code: "invalid_query", detail: "Twin query error \(error).")
        }
        let dependencies = self.dependencies
        let executor = TwinQueryExecutor(registry: dependencies.registry) { twin in
            dependencies.lastTelemetry(twin).compactMapValues { sample in sample.field }
        }
        switch executor.run(query, tenant: principal.tenant) {
        case .count(let count):
            return try HTTPJSON.encode(.ok, Rows(items: [.object(["count": .integer(Int64(count))])], count: 1))
        case .rows(let rows):
            return try HTTPJSON.encode(.ok, Rows(items: rows.map { .object($0) }, count: rows.count))
        case .twins(let twins):
            struct Twins: Encodable {
                var items: [TwinDocument]
                var count: Int
            }
            let documents = twins.map { dependencies.document($0) }
            return try HTTPJSON.encode(.ok, Twins(items: documents, count: documents.count))
        }
    }
}
