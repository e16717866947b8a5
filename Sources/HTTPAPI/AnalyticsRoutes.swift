import Analytics
import Foundation
import Hummingbird
import Identity
import TimeSeries
import TwinGuardCore
import Twins

/// Analytics over HTTP: a twin's recent anomalies, what-if simulation and calibration of its state
/// model, alerts (list, acknowledge, resolve) and webhook subscriptions.
struct AnalyticsRoutes {
    let dependencies: HTTPAPIDependencies

    func register(on router: Router<APIRequestContext>) {
        let twins = router.group("api/v1/twins")
        twins.get(":id/anomalies") { _, context in
            let principal = try context.requirePrincipal()
            let twin = try self.dependencies.registry.twin(try context.parameters.require("id"), tenant: principal.tenant)
            return try HTTPJSON.encode(.ok, AnomalyList(anomalies: self.dependencies.analytics.recentAnomalies(tenant: principal.tenant, twin: twin.id)))
        }
        twins.post(":id/simulate") { request, context in
            let principal = try context.requirePrincipal()
            let twin = try self.dependencies.registry.twin(try context.parameters.require("id"), tenant: principal.tenant)
            let body = try await HTTPJSON.body(request, limit: 1_048_576)
            let simulation = try HTTPJSON.decode(Simulator.Request.self, from: body, what: "simulation request")
            let definition = try self.stateModel(of: twin)
            let result = try Self.mapping {
                try Simulator.run(definition, initial: self.currentState(of: twin, definition), request: simulation, now: WallClock.nowNanoseconds())
            }
            return try HTTPJSON.encode(.ok, result)
        }
        twins.post(":id/calibrate") { request, context in
            let principal = try context.requirePrincipal()
            let twin = try self.dependencies.registry.twin(try context.parameters.require("id"), tenant: principal.tenant)
            let body = try await HTTPJSON.body(request, limit: 1_048_576)
            let window = body.isEmpty ? CalibrationWindow() : try HTTPJSON.decode(CalibrationWindow.self, from: body, what: "calibration window")
            let definition = try self.stateModel(of: twin)
            let fit = try Self.mapping { try self.calibrate(twin, definition, window) }
            return try HTTPJSON.encode(.ok, fit)
        }

        let alerts = router.group("api/v1/alerts")
        alerts.get { request, context in
            let principal = try context.requirePrincipal()
            let status = try request.uri.queryParameters["status"].map { text throws -> Alert.Status in
                guard let status = Alert.Status(rawValue: String(text)) else {
                    throw ProblemDetails(status: .badRequest, code: "invalid_query", detail: "status must be open, acknowledged or resolved")
                }
                return status
            }
            let twin = request.uri.queryParameters["twin"].map(String.init)
            let list = self.dependencies.analytics.alerts.alerts(tenant: principal.tenant, status: status, twin: twin)
                .filter { self.dependencies.visible($0.twin, to: principal) }
            return try HTTPJSON.encode(.ok, AlertList(alerts: Array(list.prefix(1000))))
        }
        alerts.get(":id") { _, context in
            let principal = try context.requirePrincipal()
            return try HTTPJSON.encode(.ok, try self.alert(try context.parameters.require("id"), principal))
        }
        for (action, past) in [("acknowledge", "acknowledged"), ("resolve", "resolved")] {
            alerts.post(":id/\(action)") { request, context in
                let principal = try context.requirePrincipal()
                let id = try context.parameters.require("id")
                _ = try self.alert(id, principal)
                let body = try await HTTPJSON.body(request, limit: 1_048_576)
                let note = body.isEmpty ? nil : try HTTPJSON.decode(AlertNote.self, from: body, what: "note").note
                if let note, note.count > 2000 {
                    throw ProblemDetails(status: .badRequest, code: "invalid_body", detail: "the note is longer than 2000 characters")
                }
                let engine = self.dependencies.analytics.alerts
                let changed = try Self.mapping {
                    action == "acknowledge"
                        ? try engine.acknowledge(id, tenant: principal.tenant, by: principal.subject, note: note)
                        : try engine.resolve(id, tenant: principal.tenant, by: principal.subject, note: note)
                }
                guard let changed else { throw Self.unknownAlert(id) }
                try await self.dependencies.identity.audit.record(
                    tenant: principal.tenant, actor: principal.subject, action: "alert.\(action)", target: id, outcome: "success",
                    detail: "\(changed.rule) on \(changed.twin).\(changed.field) \(past)" + (note.map { ": \($0)" } ?? ""))
                return try HTTPJSON.encode(.ok, changed)
            }
        }

        let webhooks = router.group("api/v1/webhooks")
        webhooks.get { _, context in
            let principal = try context.requirePrincipal()
            return try HTTPJSON.encode(.ok, WebhookList(webhooks: self.dependencies.webhooks.list(tenant: principal.tenant)))
        }
        webhooks.post { request, context in
            let principal = try context.requirePrincipal()
            let draft = try HTTPJSON.decode(WebhookDraft.self, from: try await HTTPJSON.body(request, limit: 1_048_576), what: "webhook")
            let hook = try Self.mapping { try self.dependencies.webhooks.add(tenant: principal.tenant, url: draft.url, events: draft.events) }
            try await self.dependencies.identity.audit.record(
                tenant: principal.tenant, actor: principal.subject, action: "webhook.create", target: hook.id, outcome: "success",
                detail: "\(hook.url) for \(hook.events.joined(separator: ", "))")
            return try HTTPJSON.encode(.created, hook)
        }
        webhooks.delete(":id") { _, context in
            let principal = try context.requirePrincipal()
            let id = try context.parameters.require("id")
            guard try Self.mapping({ try self.dependencies.webhooks.remove(id: id, tenant: principal.tenant) }) else {
                throw ProblemDetails(status: .notFound, code: "not_found", detail: "No webhook '\(id)' in tenant '\(principal.tenant)'.")
            }
            try await self.dependencies.identity.audit.record(
                tenant: principal.tenant, actor: principal.subject, action: "webhook.delete", target: id, outcome: "success", detail: "")
            return Response(status: .noContent)
        }
    }

    private func alert(_ id: String, _ principal: Principal) throws -> Alert {
        guard let alert = self.dependencies.analytics.alerts.alert(id, tenant: principal.tenant),
            self.dependencies.visible(alert.twin, to: principal)
        else { throw Self.unknownAlert(id) }
        return alert
    }

    static func unknownAlert(_ id: String) -> ProblemDetails {
        ProblemDetails(status: .notFound, code: "not_found", detail: "No alert '\(id)'.")
    }

    /// The state model of a twin's model, or a clear refusal.
    private func stateModel(of twin: Twin) throws -> StateModelDefinition {
        guard let modelID = twin.model else {
            throw ProblemDetails(status: .unprocessableContent, code: "no_state_model", detail: "Twin '\(twin.id)' has no model; give it a model that declares a stateModel.")
        }
        let model = try self.dependencies.registry.model(modelID, tenant: twin.tenant)
        guard let definition = model.stateModel else {
            throw ProblemDetails(status: .unprocessableContent, code: "no_state_model", detail: "Model '\(modelID)' declares no stateModel; add one (kind, parameters, inputs, stateField) to simulate its twins.")
        }
        return definition
    }

    /// The twin's current state: its newest value of the state field, telemetry or reported property.
    private func currentState(of twin: Twin, _ definition: StateModelDefinition) -> Double? {
        guard let field = definition.stateField else { return nil }
        let telemetry = self.dependencies.lastTelemetry(twin)[field]
        let reported = twin.reported[field]
        switch (telemetry, reported) {
        case (let sample?, let property?):
            return RFC3339.parse(sample.time).map { $0 >= property.updatedAt } ?? true ? sample.field.numeric : property.value.number
        case (let sample?, nil): return sample.field.numeric
        case (nil, let property?): return property.value.number
        case (nil, nil): return nil
        }
    }

    private func calibrate(_ twin: Twin, _ definition: StateModelDefinition, _ window: CalibrationWindow) throws(AnalyticsError) -> Calibration.Fit {
        guard let field = definition.stateField else {
            throw AnalyticsError(.notEnoughData, "the model's stateModel names no stateField: nothing recorded to calibrate against")
        }
        let now = WallClock.nowNanoseconds()
        let to = try window.to.map { text throws(AnalyticsError) in
            guard let time = RFC3339.parse(text) else { throw AnalyticsError(.invalidParameters, "'to' must be an RFC 3339 time") }
            return time
        } ?? now
        let from = try window.from.map { text throws(AnalyticsError) in
            guard let time = RFC3339.parse(text) else { throw AnalyticsError(.invalidParameters, "'from' must be an RFC 3339 time") }
            return time
        } ?? (to - 7 * 86_400_000_000_000)
        let store = self.dependencies.timeSeries
        let state = try TelemetryHistory.read(store, tenant: twin.tenant, twin: twin.id, field: field, from: from, to: to)
        var inputs: [String: [Double]] = [:]
        for (input, inputField) in definition.inputFields ?? [:] {
            let history = try TelemetryHistory.read(store, tenant: twin.tenant, twin: twin.id, field: inputField, from: from, to: to)
            if let aligned = TelemetryHistory.align(history, at: state.times) { inputs[input] = aligned }
        }
        return try Calibration.fit(definition, samples: .init(times: state.times, state: state.values, inputs: inputs))
    }

    /// Runs `body`, turning analytics errors into problem details.
    static func mapping<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as AnalyticsError {
            let status: HTTPResponse.Status = error.code == .notEnoughData ? .unprocessableContent : .badRequest
            throw ProblemDetails(status: status, code: error.code.description, detail: error.message)
        }
    }
}

struct AnomalyList: Encodable {
    var anomalies: [AnomalyEvent]

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.anomalies.map(\.eventData), forKey: .anomalies)
    }

    enum CodingKeys: String, CodingKey { case anomalies }
}

struct AlertList: Encodable {
    var alerts: [Alert]
}

struct AlertNote: Decodable {
    var note: String?
}

struct WebhookList: Encodable {
    var webhooks: [WebhookSubscription]
}

struct WebhookDraft: Decodable {
    var url: String
    var events: [String]?
}

/// The history a calibration fits (default: the last 7 days).
struct CalibrationWindow: Decodable {
    var from: String?
    var to: String?
}
