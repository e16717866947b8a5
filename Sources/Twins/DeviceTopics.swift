import Foundation
import TimeSeries
import TwinGuardCore

/// Consumes the platform's device topics: `tg/{tenant}/{twin}/telemetry` (JSON or line protocol) and
/// `tg/{tenant}/{twin}/reported` (a JSON object of property values).
public struct DeviceTopics: DeviceMessageHandler {
    let ingestor: TelemetryIngestor
    let registry: TwinRegistry

    public init(ingestor: TelemetryIngestor, registry: TwinRegistry) {
        self.ingestor = ingestor
        self.registry = registry
    }

    public func handles(topic: String) -> Bool {
        topic.hasPrefix("tg/") && (topic.hasSuffix("/telemetry") || topic.hasSuffix("/reported"))
    }

    public func handle(
        topic: String, payload: [UInt8], principal: Principal,
        completion: @escaping @Sendable (DeviceMessageOutcome) -> Void
    ) {
        let levels = topic.split(separator: "/", omittingEmptySubsequences: false)
        guard levels.count == 4 else {
            completion(.refused(.payloadFormatInvalid, reason: "expected tg/{tenant}/{twin}/telemetry or …/reported"))
            return
        }
        let tenant = String(levels[1])
        let twin = String(levels[2])
        guard tenant == principal.tenant.rawValue else {
            completion(.refused(.notAuthorized, reason: "topic tenant '\(tenant)' is not your tenant '\(principal.tenant)'"))
            return
        }
        guard Twin.isValidID(twin) else {
            completion(.refused(.payloadFormatInvalid, reason: "'\(twin.prefix(140))' is not a valid twin id"))
            return
        }
        if levels[3] == "telemetry" {
            self.telemetry(payload, tenant: principal.tenant, twin: twin, completion: completion)
        } else {
            self.reported(payload, tenant: principal.tenant, twin: twin, completion: completion)
        }
    }

    private func telemetry(_ payload: [UInt8], tenant: TenantID, twin: String, completion: @escaping @Sendable (DeviceMessageOutcome) -> Void) {
        let first = payload.first { $0 != 32 && $0 != 9 && $0 != 10 && $0 != 13 }
        let report =
            first == UInt8(ascii: "{") || first == UInt8(ascii: "[")
            ? self.ingestor.writeJSON(payload, tenant: tenant, twin: twin)
            : self.ingestor.writeLineProtocol(payload, tenant: tenant, precision: .nanoseconds, twin: twin)
        let refusal = report.rejected.first.map { DeviceMessageOutcome.refused(.payloadFormatInvalid, reason: "\($0.path): \($0.message)") }
        if report.accepted == 0 && refusal == nil {
            completion(.refused(.payloadFormatInvalid, reason: "no telemetry in the message"))
            return
        }
        self.ingestor.whenDurable(report) { result in
            switch result {
            case .success: completion(refusal ?? .accepted)
            case .failure(let error): completion(.refused(.unavailable, reason: error.message))
            }
        }
    }

    private func reported(_ payload: [UInt8], tenant: TenantID, twin: String, completion: @escaping @Sendable (DeviceMessageOutcome) -> Void) {
        guard case .object(let values)? = try? JSONDecoder().decode(JSONValue.self, from: Data(payload)) else {
            completion(.refused(.payloadFormatInvalid, reason: "reported state must be a JSON object of property values"))
            return
        }
        let registry = self.registry
        Task {
            do {
                _ = try await registry.report(twin, tenant: tenant, values: values)
                completion(.accepted)
            } catch let error as TwinError {
                completion(.refused(error.code == .notFound ? .notAuthorized : .payloadFormatInvalid, reason: error.message))
            } catch {
                completion(.refused(.unavailable, reason: "\(error)"))
            }
        }
    }
}
