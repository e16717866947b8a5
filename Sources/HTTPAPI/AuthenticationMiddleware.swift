import Foundation
import HTTPTypes
import Hummingbird
import Identity
import Logging
import NIOCore
import TimeSeries
import TwinGuardCore

/// Establishes who is calling and whether their role may call the route.
///
/// Credentials, in order: the local admin bearer token of `DATA/run/admin.json`; HTTP Basic (or InfluxDB's
/// `u`/`p` query parameters) checked by the server's ``Authorizer``; a verified TLS client certificate
/// (devices, on HTTPS); anonymous only in development mode (`--allow-anonymous`). Then the route's
/// permission (``RoutePermissions``) is checked against the role. Influx-compatible routes answer a
/// refusal in Influx's shape, the rest with problem details.
struct AuthenticationMiddleware<Context: PrincipalContext>: RouterMiddleware {
    let authorizer: any Authorizer
    let localAdminToken: String?
    let peerCertificate: @Sendable (any Channel) async -> ClientCertificate?
    /// Paths that need no credentials (health probes, the OpenAPI document, /ping, PKI, enrollment).
    let publicPaths: Set<String>
    /// Records denials in the audit log.
    let audit: AuditLog?

    init(
        authorizer: any Authorizer, localAdminToken: String? = nil,
        peerCertificate: @escaping @Sendable (any Channel) async -> ClientCertificate? = { _ in nil }, publicPaths: Set<String>,
        audit: AuditLog? = nil
    ) {
        self.authorizer = authorizer
        self.localAdminToken = localAdminToken
        self.peerCertificate = peerCertificate
        self.publicPaths = publicPaths
        self.audit = audit
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if self.publicPaths.contains(path) { return try await next(request, context) }
        let result = await self.authenticate(request, context: context)
        switch result {
        case .accepted(let principal):
            if let refusal = try await self.checkPermission(principal, request: request, context: context) { return refusal }
            var context = context
            context.principal = principal
            return try await next(request, context)
        case .refused(let failure):
            let reason: String
            switch failure {
            case .anonymousNotAllowed:
                reason = "authentication required: send HTTP Basic credentials (or u and p for Influx routes), a bearer token or a client certificate"
            case .badCredentials: reason = "authorization failed: wrong user name or password"
            case .notAuthorized(let why): reason = "authorization failed: \(why)"
            }
            context.logger.notice("http request refused", metadata: ["auth.decision": "deny", "auth.reason": "\(reason)", "http.path": "\(path)"])
            if InfluxRoutes.paths.contains(path) {
                return HTTPJSON.bytes(.unauthorized, InfluxJSON.error(reason), extraHeaders: [.wwwAuthenticate: "Basic realm=\"TwinGuard\""])
            }
            var response = try ProblemDetails(status: .unauthorized, code: "unauthenticated", detail: reason).response(from: request, context: context)
            response.headers[.wwwAuthenticate] = "Basic realm=\"TwinGuard\""
            return response
        }
    }

    private func authenticate(_ request: Request, context: Context) async -> AuthenticationResult {
        let path = request.uri.path
        var username: String?
        var password: [UInt8]?
        if let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") {
            let token = Array(header.dropFirst(7).trimmingCharacters(in: .whitespaces).utf8)
            if let expected = self.localAdminToken, Self.constantTimeEqual(token, Array(expected.utf8)) {
                return .accepted(Principal(tenant: .default, role: .admin, subject: "local-admin"))
            }
            return .refused(.notAuthorized(reason: "unknown or expired bearer token"))
        }
        if let header = request.headers[.authorization], header.lowercased().hasPrefix("basic "),
            let decoded = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
            let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":")
        {
            username = String(text[..<colon])
            password = Array(text[text.index(after: colon)...].utf8)
        } else if InfluxRoutes.paths.contains(path), let user = FormEncoding.decode(request.uri.query ?? "")["u"] {
            username = user
            password = FormEncoding.decode(request.uri.query ?? "")["p"].map { Array($0.utf8) }
        }
        let certificate = username == nil ? await self.peerCertificate(context.channel) : nil
        let credentials = ConnectCredentials(
            clientID: "http", username: username, password: password, remoteAddress: context.channel.remoteAddress.map { "\($0)" },
            certificate: certificate)
        if let immediate = self.authorizer.authenticateImmediately(credentials) { return immediate }
        return await self.authorizer.authenticate(credentials)
    }

    /// `nil` when the principal may call the route, else the 403 answer.
    private func checkPermission(_ principal: Principal, request: Request, context: Context) async throws -> Response? {
        let path = request.uri.path
        let allowed: Bool
        let needed: String
        if principal.role == .device {
            allowed = RoutePermissions.deviceMay(request.method, path, twin: principal.subject)
            needed = "a device may only renew its certificate and write its own telemetry"
        } else {
            let permission = RoutePermissions.required(request.method, path)
            allowed = principal == .anonymousDevelopment || principal.role.allows(permission)
            needed = "role '\(principal.role.rawValue)' lacks the '\(permission.rawValue)' permission"
        }
        guard !allowed else { return nil }
        let detail = "\(request.method.rawValue) \(path) is not allowed: \(needed)"
        context.logger.notice("http request denied", metadata: ["auth.decision": "deny", "auth.principal": "\(principal)", "auth.reason": "\(detail)"])
        _ = try? await self.audit?.record(
            tenant: principal.tenant, actor: principal.subject, action: "http.request", target: "\(request.method.rawValue) \(path)",
            outcome: "deny", detail: needed)
        if InfluxRoutes.paths.contains(path) {
            return HTTPJSON.bytes(.forbidden, InfluxJSON.error(detail))
        }
        return try ProblemDetails(status: .forbidden, code: "forbidden", detail: detail).response(from: request, context: context)
    }

    static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }
}
