import Foundation
import HTTPTypes
import Identity
import Hummingbird
import Logging
import TimeSeries
import TwinGuardCore
import Twins

/// `/api/v1/twins`: CRUD with ETag/If-Match, desired and reported state.
struct TwinRoutes: RouteSet {
    let dependencies: HTTPAPIDependencies

    static func declare(_ api: inout APIRoutes.Declarations<Self>) {
        api.get("/api/v1/twins", .needs(.read, sites: .filtered)) { routes, request, context in
            let principal = try context.requirePrincipal()
            let page = try Pagination(request)
            let (items, next) = routes.dependencies.registry.listTwins(tenant: principal.tenant, after: page.cursor, limit: page.limit)
            // A user limited to sites sees the twins of those sites only (a page may then hold fewer items).
            let visible = items.filter { principal.mayAccess(site: $0.tags["site"]) }
            return try HTTPJSON.encode(.ok, Page(items: visible.map { routes.document($0) }, next: next))
        }
        api.post("/api/v1/twins", .needs(.manageTwins, sites: .filtered)) { routes, request, context in
            let principal = try context.requirePrincipal()
            let draft = try HTTPJSON.decode(TwinDraft.self, from: try await HTTPJSON.body(request, limit: 1_048_576), what: "twin")
            guard principal.mayAccess(site: draft.tags?["site"]) else {
                throw ProblemDetails(
                    status: .forbidden, code: "forbidden",
                    detail: "You are limited to sites \(principal.sites?.sorted().joined(separator: ", ") ?? ""): tag the twin with one of them ('site').")
            }
            let twin = try await routes.dependencies.registry.createTwin(draft, tenant: principal.tenant)
            return try routes.respond(.created, twin, extra: [.location: "/api/v1/twins/\(twin.id)"])
        }
        api.get("/api/v1/twins/{id}", .needs(.read, sites: .twin(parameter: "id"))) { routes, _, context in
            let principal = try context.requirePrincipal()
            return try routes.respond(.ok, try routes.dependencies.registry.twin(try context.parameters.require("id"), tenant: principal.tenant))
        }
        api.patch("/api/v1/twins/{id}", .needs(.manageTwins, sites: .twin(parameter: "id"))) { routes, request, context in
            let principal = try context.requirePrincipal()
            let patch = try HTTPJSON.decode(TwinPatch.self, from: try await HTTPJSON.body(request, limit: 1_048_576), what: "twin change")
            let twin = try await routes.dependencies.registry.updateTwin(
                try context.parameters.require("id"), tenant: principal.tenant, patch: patch, ifMatch: request.headers[.ifMatch])
            return try routes.respond(.ok, twin)
        }
        api.delete("/api/v1/twins/{id}", .needs(.manageTwins, sites: .twin(parameter: "id"))) { routes, request, context in
            let principal = try context.requirePrincipal()
            try await routes.dependencies.registry.deleteTwin(try context.parameters.require("id"), tenant: principal.tenant, ifMatch: request.headers[.ifMatch])
            return Response(status: .noContent)
        }
        api.patch("/api/v1/twins/{id}/desired", .needs(.operate, sites: .twin(parameter: "id"))) { routes, request, context in
            let principal = try context.requirePrincipal()
            let values = try HTTPJSON.decode([String: JSONValue].self, from: try await HTTPJSON.body(request, limit: 1_048_576), what: "desired state")
            let twin = try await routes.dependencies.registry.setDesired(
                try context.parameters.require("id"), tenant: principal.tenant, values: values, ifMatch: request.headers[.ifMatch])
            try await routes.dependencies.identity.audit.record(
                tenant: principal.tenant, actor: principal.subject, action: "twin.desired", target: twin.id, outcome: "success",
                detail: "version \(twin.version): " + values.keys.sorted().joined(separator: ", "))
            return try routes.respond(.ok, twin)
        }
        api.patch("/api/v1/twins/{id}/reported", .needs(.manageTwins, sites: .twin(parameter: "id"))) { routes, request, context in
            let principal = try context.requirePrincipal()
            let values = try HTTPJSON.decode([String: JSONValue].self, from: try await HTTPJSON.body(request, limit: 1_048_576), what: "reported state")
            let twin = try await routes.dependencies.registry.report(try context.parameters.require("id"), tenant: principal.tenant, values: values)
            return try routes.respond(.ok, twin)
        }
    }

    private func respond(_ status: HTTPResponse.Status, _ twin: Twin, extra: HTTPFields = [:]) throws -> Response {
        var headers = extra
        headers[.eTag] = "\"\(twin.version)\""
        return try HTTPJSON.encode(status, self.document(twin), headers: headers)
    }

    /// The JSON form of a twin: its document plus the delta, presence and the last telemetry values.
    func document(_ twin: Twin) -> TwinDocument {
        self.dependencies.document(twin)
    }
}

/// A twin as the API shows it.
struct TwinDocument: Encodable {
    var twin: Twin
    var telemetry: [String: TelemetrySample]
    var online: Bool

    enum CodingKeys: String, CodingKey {
        case id, model, tags, reported, desired, delta, relationships, learnedFields, version, etag, createdAt, updatedAt, lastSeen,
            presence, telemetry
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.twin.id, forKey: .id)
        try container.encodeIfPresent(self.twin.model, forKey: .model)
        try container.encode(self.twin.tags, forKey: .tags)
        try container.encode(self.twin.reported.mapValues(PropertyDocument.init), forKey: .reported)
        try container.encode(self.twin.desired.mapValues(PropertyDocument.init), forKey: .desired)
        try container.encode(TwinRegistry.delta(of: self.twin), forKey: .delta)
        try container.encode(self.twin.relationships, forKey: .relationships)
        if self.twin.model == nil { try container.encode(self.twin.learnedFields.mapValues(\.description), forKey: .learnedFields) }
        try container.encode(self.twin.version, forKey: .version)
        try container.encode("\"\(self.twin.version)\"", forKey: .etag)
        try container.encode(RFC3339.format(self.twin.createdAt), forKey: .createdAt)
        try container.encode(RFC3339.format(self.twin.updatedAt), forKey: .updatedAt)
        try container.encodeIfPresent(self.twin.lastSeen.map(RFC3339.format), forKey: .lastSeen)
        try container.encode(self.online ? "online" : "offline", forKey: .presence)
        try container.encode(self.telemetry, forKey: .telemetry)
    }
}

/// A property value with its version and time.
struct PropertyDocument: Encodable {
    var value: JSONValue
    var version: Int64
    var updatedAt: String

    init(_ state: PropertyState) {
        self.value = state.value
        self.version = state.version
        self.updatedAt = RFC3339.format(state.updatedAt)
    }
}

/// The latest value of a telemetry field.
public struct TelemetrySample: Encodable, Sendable {
    public var time: String
    public var value: JSONValue
    /// The value as stored.
    let field: FieldValue

    enum CodingKeys: String, CodingKey {
        case time, value
    }

    public init(time: Int64, value: FieldValue) {
        self.field = value
        self.time = RFC3339.format(time)
        switch value {
        case .double(let number): self.value = .number(number)
        case .integer(let number): self.value = .integer(number)
        case .boolean(let flag): self.value = .bool(flag)
        case .string(let text): self.value = .string(text)
        }
    }
}
