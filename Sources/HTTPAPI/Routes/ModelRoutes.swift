import Foundation
import HTTPTypes
import Identity
import Hummingbird
import Logging
import TwinGuardCore
import Twins

/// `/api/v1/models`: upload, list, read and delete twin models.
struct ModelRoutes: RouteSet {
    let dependencies: HTTPAPIDependencies

    static func declare(_ api: inout APIRoutes.Declarations<Self>) {
        api.get("/api/v1/models", .needs(.read, sites: .filtered)) { routes, request, context in
            let principal = try context.requirePrincipal()
            let all = routes.dependencies.registry.models(tenant: principal.tenant)
            let page = try Pagination(request)
            let items = Array(all.filter { page.cursor == nil || $0.id > page.cursor! }.prefix(page.limit))
            let next = items.count == page.limit && all.last?.id != items.last?.id ? items.last?.id : nil
            return try HTTPJSON.encode(.ok, Page(items: items, next: next))
        }
        api.post("/api/v1/models", .needs(.manageModels)) { routes, request, context in
            let principal = try context.requirePrincipal()
            let body = try await HTTPJSON.body(request, limit: 1_048_576)
            let (model, created) = try await routes.dependencies.registry.addModel(Data(body), tenant: principal.tenant)
            context.logger.info("model uploaded", metadata: ["model.id": "\(model.id)", "created": "\(created)"])
            if created {
                try await routes.dependencies.identity.audit.record(
                    tenant: principal.tenant, actor: principal.subject, action: "model.create", target: model.id, outcome: "success")
            }
            return try HTTPJSON.encode(created ? .created : .ok, model, headers: [.location: "/api/v1/models/\(Self.encode(model.id))"])
        }
        api.get("/api/v1/models/{id}", .needs(.read, sites: .filtered)) { routes, _, context in
            let principal = try context.requirePrincipal()
            return try HTTPJSON.encode(.ok, try routes.dependencies.registry.model(try Self.id(context), tenant: principal.tenant))
        }
        api.delete("/api/v1/models/{id}", .needs(.manageModels)) { routes, _, context in
            let principal = try context.requirePrincipal()
            let id = try Self.id(context)
            try await routes.dependencies.registry.deleteModel(id, tenant: principal.tenant)
            try await routes.dependencies.identity.audit.record(
                tenant: principal.tenant, actor: principal.subject, action: "model.delete", target: id, outcome: "success")
            return Response(status: .noContent)
        }
    }

    static func id(_ context: APIRequestContext) throws -> String {
        let raw = try context.parameters.require("id")
        return raw.removingPercentEncoding ?? raw
    }

    static func encode(_ id: String) -> String {
        id.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~:"))) ?? id
    }
}

/// A page of a list, with the cursor of the next page.
struct Page<Item: Encodable>: Encodable {
    var items: [Item]
    var next: String?
}

/// `?cursor=…&limit=…` of list routes.
struct Pagination {
    var cursor: String?
    var limit: Int

    /// - Throws: 400 problem details for a limit outside 1...1000 or an overlong cursor.
    init(_ request: Request) throws {
        let form = request.form
        self.cursor = form["cursor"]
        guard (self.cursor?.utf8.count ?? 0) <= 200 else {
            throw ProblemDetails(status: .badRequest, code: "invalid_parameter", detail: "'cursor' is at most 200 characters; use the 'next' of the previous page.")
        }
        guard let text = form["limit"] else {
            self.limit = 100
            return
        }
        guard let limit = Int(text), (1...1000).contains(limit) else {
            throw ProblemDetails(status: .badRequest, code: "invalid_parameter", detail: "'limit' must be an integer from 1 to 1000.")
        }
        self.limit = limit
    }
}

