import Foundation
import HTTPTypes
import Identity
import Hummingbird
import Logging
import TimeSeries
import TwinGuardCore
import Twins

/// `GET|PATCH /api/v1/tenant`: the caller's tenant settings (strict mode, raw retention, downsampling
/// tiers). Changing them is administration.
struct TenantRoutes: RouteSet {
    let dependencies: HTTPAPIDependencies

    /// The settings as the API shows them (durations as text such as `90d`).
    struct Document: Codable {
        var id: String
        var strict: Bool
        /// Raw retention: a duration, or `null` for the server default (`forever` keeps everything).
        var retention: String?
        var tiers: [Tier]?
        /// What applies now, defaults included.
        var effectiveTiers: [Tier]?
        /// Whether devices may sign in with a password instead of a certificate.
        var devicePasswords: Bool
        /// Whether open-model twins' numeric fields are watched for anomalies.
        var anomalyDetection: Bool

        struct Tier: Codable {
            var name: String
            var every: String
            var retention: String?
        }
    }

    /// A change; members left out stay as they are.
    struct Patch: Decodable {
        var strict: Bool?
        var retention: String?
        var tiers: [String]?
        var devicePasswords: Bool?
        var anomalyDetection: Bool?
    }

    static func declare(_ api: inout APIRoutes.Declarations<Self>) {
        api.get("/api/v1/tenant", .needs(.read, sites: .filtered)) { routes, _, context in
            let principal = try context.requirePrincipal()
            return try HTTPJSON.encode(.ok, try routes.document(principal.tenant))
        }
        api.patch("/api/v1/tenant", .needs(.administer)) { routes, request, context in
            let principal = try context.requirePrincipal()
            let patch = try HTTPJSON.decode(Patch.self, from: try await HTTPJSON.body(request, limit: 64 * 1024), what: "tenant settings")
            var retention: Int64??
            if let text = patch.retention {
                guard text == "forever" || DownsampleTier.duration(text) != nil else {
                    throw ProblemDetails(status: .unprocessableContent, code: "invalid", detail: "'retention' must be a duration such as 7d or 12h, or 'forever'.")
                }
                retention = .some(text == "forever" ? nil : DownsampleTier.duration(text))
            }
            var tiers: [DownsampleTier]?
            if let list = patch.tiers {
                let parsed = list.compactMap { DownsampleTier.parseList($0).flatMap { $0.count == 1 ? $0[0] : nil } }
                guard parsed.count == list.count, Set(parsed.map(\.name)).count == parsed.count else {
                    throw ProblemDetails(
                        status: .unprocessableContent, code: "invalid",
                        detail: "'tiers' must be distinct entries such as \"1m:90d\" or \"1h\" (bucket, then an optional retention).")
                }
                tiers = parsed
            }
            try await routes.dependencies.registry.updateSettings(tenant: principal.tenant) { settings in
                if let strict = patch.strict { settings.strict = strict }
                if let retention { settings.retention = retention }
                if let tiers { settings.tiers = tiers }
                if let allowed = patch.devicePasswords { settings.devicePasswords = allowed }
                if let watched = patch.anomalyDetection { settings.anomalyDetection = watched }
            }
            context.logger.info("tenant settings changed", metadata: ["tenant": "\(principal.tenant)", "principal": "\(principal)"])
            try await routes.dependencies.identity.audit.record(
                tenant: principal.tenant, actor: principal.subject, action: "tenant.settings", target: principal.tenant.rawValue,
                outcome: "success",
                detail: [patch.strict.map { "strict \($0)" }, patch.retention.map { "retention \($0)" },
                         patch.devicePasswords.map { "device passwords \($0 ? "allowed" : "refused")" },
                         patch.anomalyDetection.map { "anomaly detection on open models \($0 ? "on" : "off")" },
                         patch.tiers.map { "tiers \($0.joined(separator: ","))" }].compactMap { $0 }.joined(separator: "; "))
            return try HTTPJSON.encode(.ok, try routes.document(principal.tenant))
        }
    }

    private func document(_ tenant: TenantID) throws -> Document {
        guard let settings = self.dependencies.registry.tenants().first(where: { $0.id == tenant }) else {
            throw ProblemDetails(status: .notFound, code: "not_found", detail: "No tenant '\(tenant)'.")
        }
        func text(_ ns: Int64) -> String { Self.format(ns) }
        let tier = { (tier: DownsampleTier) in Document.Tier(name: tier.name, every: text(tier.every), retention: tier.retention.map(text)) }
        return Document(
            id: tenant.rawValue, strict: settings.strict, retention: settings.retention.map(text), tiers: settings.tiers?.map(tier),
            effectiveTiers: self.dependencies.tiers(tenant).map(tier), devicePasswords: settings.devicePasswords ?? false,
            anomalyDetection: settings.anomalyDetection ?? false)
    }

    static func format(_ ns: Int64) -> String {
        for (suffix, scale) in [("w", Int64(604_800_000_000_000)), ("d", 86_400_000_000_000), ("h", 3_600_000_000_000), ("m", 60_000_000_000)]
        where ns % scale == 0 {
            return "\(ns / scale)\(suffix)"
        }
        return "\(ns / 1_000_000_000)s"
    }
}
