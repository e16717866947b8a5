import Analytics
import Foundation
import Hummingbird
import Identity
import Logging
import Synchronization
import TimeSeries
import TwinGuardCore
import Twins

/// Analytics over HTTP: a twin's recent anomalies, what-if simulation and calibration of its state
/// model, alerts (list, acknowledge, resolve) and webhook subscriptions.
struct AnalyticsRoutes: RouteSet {
    /// The largest RUL model file accepted (an 800-tree ensemble of three is a few MiB).
    static let maximumModelFile = 32 * 1_048_576
    /// The largest body of run-to-failure histories (C-MAPSS FD004's training set is about 10 MiB of text).
    static let maximumTrainingBody = 32 * 1_048_576
    /// Whether a training runs now: one at a time, so that uploads cannot take every core.
    static let training = Atomic<Bool>(false)
    let dependencies: HTTPAPIDependencies

    static func declare(_ api: inout APIRoutes.Declarations<Self>) {
        api.get("/api/v1/twins/{id}/anomalies", .needs(.read, sites: .twin(parameter: "id"))) { routes, _, context in
            let principal = try context.requirePrincipal()
            let twin = try routes.dependencies.registry.twin(try context.parameters.require("id"), tenant: principal.tenant)
            return try HTTPJSON.encode(.ok, AnomalyList(anomalies: routes.dependencies.analytics.recentAnomalies(tenant: principal.tenant, twin: twin.id)))
        }
        api.post("/api/v1/twins/{id}/simulate", .needs(.read, sites: .twin(parameter: "id"))) { routes, request, context in
            let principal = try context.requirePrincipal()
            let twin = try routes.dependencies.registry.twin(try context.parameters.require("id"), tenant: principal.tenant)
            let body = try await HTTPJSON.body(request, limit: 1_048_576)
            let simulation = try HTTPJSON.decode(Simulator.Request.self, from: body, what: "simulation request")
            let definition = try routes.stateModel(of: twin)
            let result = try Self.mapping {
                try Simulator.run(definition, initial: routes.currentState(of: twin, definition), request: simulation, now: WallClock.nowNanoseconds())
            }
            return try HTTPJSON.encode(.ok, result)
        }
        api.post("/api/v1/twins/{id}/calibrate", .needs(.read, sites: .twin(parameter: "id"))) { routes, request, context in
            let principal = try context.requirePrincipal()
            let twin = try routes.dependencies.registry.twin(try context.parameters.require("id"), tenant: principal.tenant)
            let body = try await HTTPJSON.body(request, limit: 1_048_576)
            let window = body.isEmpty ? CalibrationWindow() : try HTTPJSON.decode(CalibrationWindow.self, from: body, what: "calibration window")
            let definition = try routes.stateModel(of: twin)
            let fit = try Self.mapping { try routes.calibrate(twin, definition, window) }
            return try HTTPJSON.encode(.ok, fit)
        }

        api.get("/api/v1/twins/{id}/rul", .needs(.read, sites: .twin(parameter: "id"))) { routes, _, context in
            let principal = try context.requirePrincipal()
            let twin = try routes.dependencies.registry.twin(try context.parameters.require("id"), tenant: principal.tenant)
            let estimate = routes.dependencies.analytics.rul.estimate(tenant: principal.tenant, twin: twin.id)
            return try HTTPJSON.encode(.ok, MaybeAnswer(
                name: "estimate", value: estimate,
                reason: "No estimate yet: the twin's model needs a trained RUL model and the twin a cycle with every bound sensor."))
        }

        api.get("/api/v1/models/{id}/rul", .needs(.read, sites: .filtered)) { routes, _, context in
            let principal = try context.requirePrincipal()
            let id = try ModelRoutes.id(context)
            _ = try routes.dependencies.registry.model(id, tenant: principal.tenant)
            let metadata = routes.dependencies.analytics.rul.metadata(tenant: principal.tenant, modelID: id)
            return try HTTPJSON.encode(.ok, MaybeAnswer(
                name: "metadata", value: metadata,
                reason: "Model '\(id)' has no trained RUL model yet: PUT one, or POST run-to-failure histories to /rul/train."))
        }
        api.put("/api/v1/models/{id}/rul", .needs(.manageModels)) { routes, request, context in
            let principal = try context.requirePrincipal()
            let id = try ModelRoutes.id(context)
            let binding = try routes.rulBinding(id, tenant: principal.tenant)
            let body = try await HTTPJSON.body(request, limit: Self.maximumModelFile)
            let model = try Self.mapping { try RULModel.decode(Data(body), name: "the request body") }
            try Self.mapping { try routes.dependencies.analytics.rul.install(model, binding: binding, tenant: principal.tenant, modelID: id) }
            try await routes.dependencies.identity.audit.record(
                tenant: principal.tenant, actor: principal.subject, action: "model.rul.install", target: id, outcome: "success",
                detail: "trained on \(model.metadata.units) units (\(model.metadata.source)), validation RMSE \(String(format: "%.2f", model.metadata.validationRMSE))")
            return try HTTPJSON.encode(.ok, model.metadata)
        }
        api.post("/api/v1/models/{id}/rul/train", .needs(.manageModels)) { routes, request, context in
            let principal = try context.requirePrincipal()
            let id = try ModelRoutes.id(context)
            let binding = try routes.rulBinding(id, tenant: principal.tenant)
            let body = try await HTTPJSON.body(request, limit: Self.maximumTrainingBody)
            let cap = try request.uri.queryParameters["cap"].map { text throws -> Double in
                guard let cap = Double(String(text)), cap >= 1, cap <= 100_000 else {
                    throw ProblemDetails(status: .badRequest, code: "invalid_query", detail: "cap must be a number of cycles from 1 to 100000")
                }
                return cap
            } ?? 125
            let trees = try request.uri.queryParameters["trees"].map { text throws -> Int in
                guard let trees = Int(String(text)), (10...5000).contains(trees) else {
                    throw ProblemDetails(status: .badRequest, code: "invalid_query", detail: "trees must be a whole number from 10 to 5000")
                }
                return trees
            }
            let logger = context.logger
            // Training is CPU-heavy: off the event loops, and one at a time on the server.
            guard Self.training.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
                throw ProblemDetails(
                    status: .tooManyRequests, code: "training_busy", detail: "A RUL model is being trained; try again when it has finished.")
            }
            defer { Self.training.store(false, ordering: .releasing) }
            let model = try await Task.detached(priority: .utility) {
                try Self.mapping {
                    let histories = try TurbofanFile.parse(String(decoding: body, as: UTF8.self), name: "the request body")
                    var options = RULModel.TrainingOptions()
                    options.cap = cap
                    if let trees { options.trees.trees = trees }
                    return try RULModel.train(histories, source: "upload for \(id)", options: options) { line in
                        logger.info("RUL training for \(id): \(line)")
                    }
                }
            }.value
            try Self.mapping { try routes.dependencies.analytics.rul.install(model, binding: binding, tenant: principal.tenant, modelID: id) }
            try await routes.dependencies.identity.audit.record(
                tenant: principal.tenant, actor: principal.subject, action: "model.rul.train", target: id, outcome: "success",
                detail: "trained on \(model.metadata.units) units, validation RMSE \(String(format: "%.2f", model.metadata.validationRMSE))")
            return try HTTPJSON.encode(.created, model.metadata)
        }

        api.get("/api/v1/alerts", .needs(.read, sites: .filtered)) { routes, request, context in
            let principal = try context.requirePrincipal()
            let status = try request.uri.queryParameters["status"].map { text throws -> Alert.Status in
                guard let status = Alert.Status(rawValue: String(text)) else {
                    throw ProblemDetails(status: .badRequest, code: "invalid_query", detail: "status must be open, acknowledged or resolved")
                }
                return status
            }
            let twin = request.uri.queryParameters["twin"].map(String.init)
            let list = routes.dependencies.analytics.alerts.alerts(tenant: principal.tenant, status: status, twin: twin)
                .filter { routes.dependencies.visible($0.twin, to: principal) }
            return try HTTPJSON.encode(.ok, AlertList(alerts: Array(list.prefix(1000))))
        }
        api.get("/api/v1/alerts/{id}", .needs(.read, sites: .filtered)) { routes, _, context in
            let principal = try context.requirePrincipal()
            return try HTTPJSON.encode(.ok, try routes.alert(try context.parameters.require("id"), principal))
        }
        for (action, past) in [("acknowledge", "acknowledged"), ("resolve", "resolved")] {
            api.post("/api/v1/alerts/{id}/\(action)", .needs(.operate, sites: .filtered)) { routes, request, context in
                let principal = try context.requirePrincipal()
                let id = try context.parameters.require("id")
                _ = try routes.alert(id, principal)
                let body = try await HTTPJSON.body(request, limit: 1_048_576)
                let note = body.isEmpty ? nil : try HTTPJSON.decode(AlertNote.self, from: body, what: "note").note
                if let note, note.count > 2000 {
                    throw ProblemDetails(status: .badRequest, code: "invalid_body", detail: "the note is longer than 2000 characters")
                }
                let engine = routes.dependencies.analytics.alerts
                let changed = try Self.mapping {
                    action == "acknowledge"
                        ? try engine.acknowledge(id, tenant: principal.tenant, by: principal.subject, note: note)
                        : try engine.resolve(id, tenant: principal.tenant, by: principal.subject, note: note)
                }
                guard let changed else { throw Self.unknownAlert(id) }
                try await routes.dependencies.identity.audit.record(
                    tenant: principal.tenant, actor: principal.subject, action: "alert.\(action)", target: id, outcome: "success",
                    detail: "\(changed.rule) on \(changed.twin).\(changed.field) \(past)" + (note.map { ": \($0)" } ?? ""))
                return try HTTPJSON.encode(.ok, changed)
            }
        }

        api.get("/api/v1/webhooks", .needs(.administer)) { routes, _, context in
            let principal = try context.requirePrincipal()
            return try HTTPJSON.encode(.ok, WebhookList(webhooks: routes.dependencies.webhooks.list(tenant: principal.tenant)))
        }
        api.post("/api/v1/webhooks", .needs(.administer)) { routes, request, context in
            let principal = try context.requirePrincipal()
            let draft = try HTTPJSON.decode(WebhookDraft.self, from: try await HTTPJSON.body(request, limit: 1_048_576), what: "webhook")
            let hook = try Self.mapping { try routes.dependencies.webhooks.add(tenant: principal.tenant, url: draft.url, events: draft.events) }
            try await routes.dependencies.identity.audit.record(
                tenant: principal.tenant, actor: principal.subject, action: "webhook.create", target: hook.id, outcome: "success",
                detail: "\(hook.url) for \(hook.events.joined(separator: ", "))")
            return try HTTPJSON.encode(.created, hook)
        }
        api.delete("/api/v1/webhooks/{id}", .needs(.administer)) { routes, _, context in
            let principal = try context.requirePrincipal()
            let id = try context.parameters.require("id")
            guard try Self.mapping({ try routes.dependencies.webhooks.remove(id: id, tenant: principal.tenant) }) else {
                throw ProblemDetails(status: .notFound, code: "not_found", detail: "No webhook '\(id)' in tenant '\(principal.tenant)'.")
            }
            try await routes.dependencies.identity.audit.record(
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

    /// The RUL binding a twin model declares, or a clear refusal.
    private func rulBinding(_ id: String, tenant: TenantID) throws -> RULBinding {
        let model = try self.dependencies.registry.model(id, tenant: tenant)
        guard let binding = model.rul else {
            throw ProblemDetails(
                status: .unprocessableContent, code: "no_rul_binding",
                detail: "Model '\(id)' declares no 'rul' (the telemetry fields that feed the RUL model, in the training data's sensor order).")
        }
        return binding
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
            guard let time = RFC3339.parse(text) else { throw AnalyticsError(.invalidParameters, "'to' must be an RFC 3339 time from \(TimeBounds.rangeDescription)") }
            return time
        } ?? now
        let from = try window.from.map { text throws(AnalyticsError) in
            guard let time = RFC3339.parse(text) else { throw AnalyticsError(.invalidParameters, "'from' must be an RFC 3339 time from \(TimeBounds.rangeDescription)") }
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

/// A value that may not exist yet, under its name (`null` when absent), with the reason it is absent.
struct MaybeAnswer<Value: Encodable>: Encodable {
    var name: String
    var value: Value?
    /// Why there is no value (only when there is none).
    var reason: String

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(self.value, forKey: Key(stringValue: self.name))
        if self.value == nil { try container.encode(self.reason, forKey: Key(stringValue: "reason")) }
    }
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
