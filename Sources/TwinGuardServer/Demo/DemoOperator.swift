import Foundation
import NIOCore
import NIOHTTP1

/// What an integrator does before a fleet goes live, done by the demo over the HTTP API with the local
/// admin token: upload the models, set the posture policy, create the twins with their sites and
/// relationships, train the bearing RUL model from run-to-failure histories, and issue one enrollment
/// token per device.
struct DemoOperator: Sendable {
    let baseURL: String
    let token: String

    /// Sends one request; 409 (it exists already) counts as done where `accept` says so.
    @discardableResult
    func call(_ method: HTTPMethod, _ path: String, json: String? = nil, text: String? = nil, accept: Set<Int> = [])
        async throws -> [String: Any]
    {
        try await AdminAccess.send(
            url: self.baseURL, token: self.token, method, path, body: Array((json ?? text ?? "").utf8),
            contentType: text != nil ? "text/plain" : "application/json", accept: accept, timeout: .seconds(120))
    }

    static func json(_ object: Any) -> String {
        String(decoding: (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data(), as: UTF8.self)
    }

    /// Models, posture policy and twins (idempotent: a second demo on the same data dir keeps them).
    func provision(_ devices: [SimulatedDevice]) async throws {
        for model in DemoModels.all {
            try await self.call(.POST, "/api/v1/models", json: model.json, accept: [409])
        }
        // Firmware older than 2.4.0 is not allowed on this network; telnet and ftp must be closed.
        try await self.call(.PUT, "/api/v1/posture-policy", json: #"{"minimum_firmware": "2.4.0", "forbidden_services": ["telnet", "ftp"]}"#)
        for device in devices {
            let draft: [String: Any] = ["id": device.twinID, "model": device.model, "tags": ["site": device.site, "area": device.area]]
            try await self.call(.POST, "/api/v1/twins", json: Self.json(draft), accept: [409])
        }
        for device in devices where !device.relationships.isEmpty {
            let relationships = device.relationships.map { ["name": $0.name, "target": $0.target] }
            try await self.call(.PATCH, "/api/v1/twins/\(device.twinID)", json: Self.json(["relationships": relationships]))
        }
    }

    /// Trains the CNC bearing's RUL model unless one is installed; returns a line saying what happened.
    func trainBearingModel() async throws -> String {
        let path = "/api/v1/models/\(DemoModels.cnc.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")/rul"
        if let metadata = try await self.call(.GET, path)["metadata"] as? [String: Any] {
            return "bearing RUL model already trained (\(metadata["units"] ?? "?") run-to-failure histories)"
        }
        let histories = BearingPhysics.trainingHistories(units: 40, seed: 2026)
        let metadata = try await self.call(.POST, path + "/train?trees=50", text: histories)
        let rmse = (metadata["validationRMSE"] as? Double).map { String(format: "%.1f", $0) } ?? "?"
        return "bearing RUL model trained on \(metadata["units"] ?? "?") run-to-failure histories (validation RMSE \(rmse) cycles)"
    }

    /// A one-time enrollment token for a twin's device.
    func enrollmentToken(for twin: String) async throws -> String {
        let answer = try await self.call(.POST, "/api/v1/enrollment-tokens", json: Self.json(["twin": twin, "ttl": "1h"]))
        guard let token = answer["token"] as? String else { throw AdminAccess.Failure(description: "no token in the answer for \(twin)") }
        return token
    }
}
