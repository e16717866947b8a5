import Foundation
import HTTPTypes
import Identity
import Hummingbird
import Logging
import TwinGuardCore
import Twins

/// `POST /api/v1/twins/{id}/commands/{name}`: send a command and answer with the device's response
/// (or 504 after `?timeout=`, default 5 s; 409 at once when the device is not connected); `GET /api/v1/twins/{id}/commands`: the recorded commands.
struct CommandRoutes: RouteSet {
    let dependencies: HTTPAPIDependencies

    static func declare(_ api: inout APIRoutes.Declarations<Self>) {
        api.post("/api/v1/twins/{id}/commands/{name}", .needs(.operate, sites: .twin(parameter: "id"))) { routes, request, context in
            let principal = try context.requirePrincipal()
            let id = try context.parameters.require("id")
            let name = try context.parameters.require("name")
            var timeout = Duration.seconds(5)
            if let text = request.form["timeout"] {
                guard let ns = TelemetryRoutes.duration(text), ns > 0, ns <= 30_000_000_000 else {
                    throw ProblemDetails(status: .badRequest, code: "invalid_parameter", detail: "'timeout' must be a duration from 1ms to 30s, e.g. 5s.")
                }
                timeout = .nanoseconds(ns)
            }
            let body = try await HTTPJSON.body(request, limit: 256 * 1024)
            let payload = body.isEmpty ? JSONValue.null : try HTTPJSON.decode(JSONValue.self, from: body, what: "command request")
            let record = try await routes.dependencies.commands.invoke(
                name, twin: id, tenant: principal.tenant, request: payload, timeout: timeout, requestedBy: principal.subject)
            context.logger.info("command sent", metadata: ["twin.id": "\(id)", "command": "\(name)", "status": "\(record.status.rawValue)"])
            try await routes.dependencies.identity.audit.record(
                tenant: principal.tenant, actor: principal.subject, action: "twin.command", target: id, outcome: record.status.rawValue,
                detail: "command '\(name)', id \(record.id)")
            if record.status == .deviceOffline {
                throw ProblemDetails(
                    status: .conflict, code: "device_offline",
                    detail: "The device of twin '\(id)' is not connected, so command '\(name)' was not sent (command id \(record.id)).")
            }
            guard record.status == .completed else {
                var problem = ProblemDetails(
                    status: .gatewayTimeout, code: "command_timed_out",
                    detail: "Twin '\(id)' did not answer command '\(name)' within \(timeout); it may be offline. Command id \(record.id).")
                problem.errors = [ProblemDetails.Issue(path: "$.id", message: record.id)]
                throw problem
            }
            return try HTTPJSON.encode(.ok, CommandDocument(record))
        }
        api.get("/api/v1/twins/{id}/commands", .needs(.read, sites: .twin(parameter: "id"))) { routes, request, context in
            let principal = try context.requirePrincipal()
            let limit = try Pagination(request).limit
            let records = try await routes.dependencies.commands.history(twin: try context.parameters.require("id"), tenant: principal.tenant, limit: limit)
            return try HTTPJSON.encode(.ok, Page(items: records.map(CommandDocument.init), next: nil))
        }
    }
}

/// A command as the API shows it.
struct CommandDocument: Encodable {
    var id: String
    var twin: String
    var name: String
    var status: String
    var request: JSONValue
    var response: JSONValue?
    var requestedAt: String
    var completedAt: String?
    var requestedBy: String

    init(_ record: CommandRecord) {
        self.id = record.id
        self.twin = record.twin
        self.name = record.name
        self.status = record.status.rawValue
        self.request = record.request
        self.response = record.response
        self.requestedAt = RFC3339.format(record.requestedAt)
        self.completedAt = record.completedAt.map(RFC3339.format)
        self.requestedBy = record.requestedBy
    }
}
