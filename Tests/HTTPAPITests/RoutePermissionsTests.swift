import HTTPTypes
import Testing
import TwinGuardCore

@testable import HTTPAPI

@Suite("The permission table every route is checked against")
struct RoutePermissionsTests {
    @Test(
        "each route needs the permission its role table promises",
        arguments: [
            (HTTPRequest.Method.get, "/api/v1/twins", Permission.read), (.post, "/api/v1/twins", .manageTwins),
            (.patch, "/api/v1/twins/p-1/desired", .operate), (.post, "/api/v1/twins/p-1/commands/reboot", .operate),
            (.post, "/api/v1/twins/p-1/telemetry", .writeTelemetry), (.post, "/api/v1/twins/p-1/simulate", .read),
            (.post, "/api/v1/twins/p-1/calibrate", .read), (.delete, "/api/v1/twins/p-1", .manageTwins),
            (.get, "/api/v1/models", .read), (.post, "/api/v1/models", .manageModels), (.get, "/api/v1/users", .administer),
            (.patch, "/api/v1/users/bob", .administer), (.delete, "/api/v1/users/bob/totp", .administer),
            (.post, "/api/v1/me/password", .read), (.get, "/api/v1/tokens", .read), (.get, "/api/v1/audit", .readAudit),
            (.get, "/api/v1/audit/checkpoint", .readAudit), (.post, "/api/v1/audit/verify", .readAudit),
            (.post, "/api/v1/devices/p-1/revoke", .manageDevices), (.post, "/api/v1/enrollment-tokens", .manageDevices),
            (.put, "/api/v1/policies", .manageDevices), (.get, "/api/v1/tenant", .read), (.patch, "/api/v1/tenant", .administer),
            (.post, "/api/v1/webhooks", .administer), (.post, "/api/v1/alerts/a-1/acknowledge", .operate), (.post, "/write", .writeTelemetry),
            (.get, "/query", .read), (.get, "/metrics", .administer), (.get, "/something-else", .administer),
        ] as [(HTTPRequest.Method, String, Permission)])
    func required(method: HTTPRequest.Method, path: String, permission: Permission) {
        #expect(RoutePermissions.required(method, path) == permission)
    }

    @Test(
        "users limited to sites: twin routes are judged by the twin, lists filtered, the rest tenant-wide",
        arguments: [
            (HTTPRequest.Method.get, "/api/v1/twins/p-1", RoutePermissions.SiteScope.twin("p-1")), (.get, "/api/v1/twins", .filtered),
            (.post, "/api/v1/twins", .filtered), (.get, "/api/v1/devices/p%2D1", .twin("p-1")), (.get, "/api/v1/events/stream", .filtered),
            (.get, "/api/v1/audit", .tenantWide), (.post, "/write", .tenantWide), (.get, "/api/v1/users", .tenantWide),
            (.patch, "/api/v1/tenant", .tenantWide), (.get, "/api/v1/models", .filtered),
        ] as [(HTTPRequest.Method, String, RoutePermissions.SiteScope)])
    func siteScope(method: HTTPRequest.Method, path: String, scope: RoutePermissions.SiteScope) {
        #expect(RoutePermissions.siteScope(method, path) == scope)
    }

    @Test("a device may renew, ask for a nonce and write its own telemetry, nothing else")
    func devices() {
        #expect(RoutePermissions.deviceMay(.post, "/api/v1/enroll/renew", twin: "p-1"))
        #expect(RoutePermissions.deviceMay(.post, "/api/v1/twins/p-1/telemetry", twin: "p-1"))
        #expect(!RoutePermissions.deviceMay(.post, "/api/v1/twins/p-2/telemetry", twin: "p-1"))
        #expect(!RoutePermissions.deviceMay(.get, "/api/v1/twins/p-1", twin: "p-1"))
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
