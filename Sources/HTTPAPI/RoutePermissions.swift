import Foundation
import HTTPTypes
import TwinGuardCore

/// The permission every route needs, in one table, checked by ``AuthenticationMiddleware`` before any
/// route runs: a route cannot forget its check.
enum RoutePermissions {
    /// The permission `method` on `path` needs; reads need ``Permission/read`` unless listed.
    static func required(_ method: HTTPRequest.Method, _ path: String) -> Permission {
        let parts = path.split(separator: "/").map(String.init)
        let isRead = method == .get || method == .head
        switch parts.first {
        case "write": return .writeTelemetry
        case "query", "ping": return .read
        default: break
        }
        guard parts.count >= 3, parts[0] == "api", parts[1] == "v1" else { return .administer }
        switch parts[2] {
        case "tenant": return isRead ? .read : .administer
        case "users": return .administer
        case "me", "logout", "tokens": return .read
        case "audit": return .readAudit
        case "devices", "enrollment-tokens", "policies", "posture-policy": return .manageDevices
        case "models": return isRead ? .read : .manageModels
        case "query", "events": return .read
        case "alerts": return isRead ? .read : .operate
        case "webhooks": return .administer
        case "twins":
            if isRead { return .read }
            if parts.count >= 5, parts[4] == "telemetry" { return .writeTelemetry }
            if parts.count >= 5, parts[4] == "commands" || parts[4] == "desired" { return .operate }
            // Simulation and calibration compute and change nothing.
            if parts.count == 5, method == .post, parts[4] == "simulate" || parts[4] == "calibrate" { return .read }
            return .manageTwins
        default: return isRead ? .read : .administer
        }
    }

    /// What a route means for a user limited to sites.
    enum SiteScope: Equatable {
        /// The route names a twin (`/api/v1/twins/{id}…`, `/api/v1/devices/{id}…`): it must be of one of the sites.
        case twin(String)
        /// The route shows only what the user may see (lists, event streams) or concerns the user alone.
        case filtered
        /// Tenant-wide data or settings: not for users limited to sites.
        case tenantWide
    }

    static func siteScope(_ method: HTTPRequest.Method, _ path: String) -> SiteScope {
        let parts = path.split(separator: "/").map(String.init)
        let isRead = method == .get || method == .head
        guard parts.count >= 3, parts[0] == "api", parts[1] == "v1" else { return .tenantWide }
        switch parts[2] {
        case "twins", "devices":
            if parts.count >= 4 { return .twin(parts[3].removingPercentEncoding ?? parts[3]) }
            return isRead || (parts[2] == "twins" && method == .post) ? .filtered : .tenantWide
        case "events", "me", "logout", "tokens", "enrollment-tokens", "alerts": return .filtered
        case "models", "tenant", "posture-policy", "policies": return isRead ? .filtered : .tenantWide
        default: return .tenantWide
        }
    }

    /// What a device (authenticated by its client certificate on HTTPS) may call: renew its certificate, ask
    /// for an attestation nonce and write its own twin's telemetry.
    static func deviceMay(_ method: HTTPRequest.Method, _ path: String, twin: String) -> Bool {
        guard method == .post else { return false }
        return path == "/api/v1/enroll/renew" || path == "/api/v1/attestation/nonce" || path == "/api/v1/twins/\(twin)/telemetry"
    }
}
