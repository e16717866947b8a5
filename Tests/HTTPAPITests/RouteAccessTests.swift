import Foundation
import HTTPTypes
import Testing
import TwinGuardCore

@testable import HTTPAPI

/// The access each route declares (``APIRoutes``), as the role table of `docs/security.md` promises it.
@Suite("The access every route declares")
struct RouteAccessTests {
    /// The declared access of a route, by method and OpenAPI path.
    static func access(_ method: HTTPRequest.Method, _ path: String) -> RouteAccess? {
        (APIRoutes.api.routes + WebSocketStreams.routes).first { $0.method == method && $0.path == path }?.access
    }

    @Test(
        "each route needs the permission its role table promises",
        arguments: [
            (HTTPRequest.Method.get, "/api/v1/twins", Permission.read), (.post, "/api/v1/twins", .manageTwins),
            (.patch, "/api/v1/twins/{id}/desired", .operate), (.post, "/api/v1/twins/{id}/commands/{name}", .operate),
            (.post, "/api/v1/twins/{id}/telemetry", .writeTelemetry), (.post, "/api/v1/twins/{id}/simulate", .read),
            (.post, "/api/v1/twins/{id}/calibrate", .read), (.delete, "/api/v1/twins/{id}", .manageTwins),
            (.patch, "/api/v1/twins/{id}/reported", .manageTwins), (.get, "/api/v1/models", .read), (.post, "/api/v1/models", .manageModels),
            (.put, "/api/v1/models/{id}/rul", .manageModels), (.get, "/api/v1/users", .administer),
            (.patch, "/api/v1/users/{name}", .administer), (.delete, "/api/v1/users/{name}/totp", .administer),
            (.post, "/api/v1/me/password", .read), (.get, "/api/v1/tokens", .read), (.get, "/api/v1/audit", .readAudit),
            (.get, "/api/v1/audit/checkpoint", .readAudit), (.post, "/api/v1/audit/verify", .readAudit),
            (.post, "/api/v1/devices/{id}/revoke", .manageDevices), (.post, "/api/v1/enrollment-tokens", .manageDevices),
            (.put, "/api/v1/policies", .manageDevices), (.get, "/api/v1/tenant", .read), (.patch, "/api/v1/tenant", .administer),
            (.post, "/api/v1/webhooks", .administer), (.post, "/api/v1/alerts/{id}/acknowledge", .operate), (.post, "/write", .writeTelemetry),
            (.get, "/query", .read), (.get, "/api/v1/events/ws", .read), (.post, "/api/v1/enroll/renew", .administer),
        ] as [(HTTPRequest.Method, String, Permission)])
    func required(method: HTTPRequest.Method, path: String, permission: Permission) {
        #expect(Self.access(method, path)?.callers == .permitted(permission))
    }

    @Test(
        "users limited to sites: twin routes are judged by the twin, lists filtered, the rest tenant-wide",
        arguments: [
            (HTTPRequest.Method.get, "/api/v1/twins/{id}", RouteAccess.SiteScope.twin(parameter: "id")), (.get, "/api/v1/twins", .filtered),
            (.post, "/api/v1/twins", .filtered), (.get, "/api/v1/devices/{id}", .twin(parameter: "id")),
            (.get, "/api/v1/events/stream", .filtered), (.get, "/api/v1/twins/{id}/ws", .twin(parameter: "id")), (.get, "/api/v1/audit", .tenantWide),
            (.post, "/write", .tenantWide), (.get, "/api/v1/users", .tenantWide), (.patch, "/api/v1/tenant", .tenantWide),
            (.get, "/api/v1/models", .filtered), (.post, "/api/v1/query", .tenantWide),
        ] as [(HTTPRequest.Method, String, RouteAccess.SiteScope)])
    func siteScope(method: HTTPRequest.Method, path: String, scope: RouteAccess.SiteScope) {
        #expect(Self.access(method, path)?.sites == scope)
    }

    @Test("a device may renew, ask for a nonce and write its own telemetry, nothing else")
    func devices() {
        let open = (APIRoutes.api.routes + WebSocketStreams.routes).filter { $0.access.devices != .refused }
        #expect(Set(open.map { "\($0.method.rawValue) \($0.path)" }) == [
            "POST /api/v1/enroll/renew", "POST /api/v1/attestation/nonce", "POST /api/v1/twins/{id}/telemetry",
        ])
        #expect(Self.access(.post, "/api/v1/twins/{id}/telemetry")?.devices == .ownTwin(parameter: "id"))
    }

    @Test("only the health probes, PKI files, enrolment, login, setup, /ping, the API description and the console need no credentials")
    func publicRoutes() {
        let open = APIRoutes.api.routes.filter { $0.access.callers == .anyone }
        #expect(Set(open.map { "\($0.method.rawValue) \($0.path)" }) == [
            "GET /healthz", "GET /readyz", "GET /openapi.json", "GET /ping", "GET /pki/ca.crt", "GET /pki/crl", "POST /api/v1/enroll",
            "POST /api/v1/setup", "POST /api/v1/login", "GET /", "GET /setup", "GET /assets/**",
        ])
        #expect(Self.access(.get, "/metrics")?.callers == .metricsReaders)
    }

    @Test("a user who must still enrol a second factor reaches only their own account and logout")
    func pendingSecondFactor() {
        let open = APIRoutes.api.routes.filter(\.access.allowsPendingSecondFactor).map(\.path)
        #expect(!open.isEmpty)
        #expect(open.allSatisfy { $0.hasPrefix("/api/v1/me") || $0 == "/api/v1/logout" })
    }

    @Test("every route the router serves is in the OpenAPI document, and every documented operation is served")
    func matchesOpenAPIDocument() throws {
        let root = try #require(try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8)) as? [String: Any])
        let paths = try #require(root["paths"] as? [String: [String: Any]])
        let verbs = ["get", "post", "put", "patch", "delete", "head"]
        let documented = Set(paths.flatMap { path, operations in verbs.filter { operations[$0] != nil }.map { "\($0.uppercased()) \(path)" } })
        let served = Set((APIRoutes.api.routes + WebSocketStreams.routes).filter(\.documented).map { "\($0.method.rawValue) \($0.path)" })
        #expect(served.subtracting(documented).sorted() == [], "served but not documented")
        #expect(documented.subtracting(served).sorted() == [], "documented but not served")
    }

    @Test("no route is declared twice")
    func unique() {
        let keys = APIRoutes.api.routes.map { "\($0.method.rawValue) \($0.path)" }
        #expect(Set(keys).count == keys.count)
    }

    @Test(
        "a known path with another method lists the declared methods, the most literal pattern first",
        arguments: [
            ("/api/v1/twins/p-1", "GET, PATCH, DELETE, HEAD"), ("/api/v1/audit/verify", "GET, POST, HEAD"),
            ("/api/v1/tokens/t-1", "DELETE"), ("/assets/app.js", "GET, HEAD"), ("/write", "POST"),
        ])
    func allowedMethods(path: String, allowed: String) {
        #expect(APIRoutes.api.catalog.allowedMethods(path)?.map(\.rawValue).joined(separator: ", ") == allowed)
        #expect(APIRoutes.api.catalog.allowedMethods("/api/v1/nothing-here") == nil)
    }

    @Test("every role grants exactly the permissions of its description", arguments: Role.allCases)
    func roles(role: Role) {
        let granted = Set(Permission.allCases.filter(role.allows))
        switch role {
        case .device: #expect(granted.isEmpty)
        case .viewer: #expect(granted == [.read])
        case .engineer: #expect(granted == [.read, .writeTelemetry, .manageTwins, .manageModels])
        case .operator: #expect(granted == [.read, .writeTelemetry, .manageTwins, .operate, .anyTopic])
        case .securityOfficer: #expect(granted == [.read, .manageDevices, .readAudit])
        case .admin: #expect(granted == Set(Permission.allCases))
        }
    }
}
