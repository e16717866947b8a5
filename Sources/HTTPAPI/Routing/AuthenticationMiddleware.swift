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
/// Credentials, in order: a bearer token (the local admin token of `DATA/run/admin.json`, an API token or a
/// session token); the `tg_session` cookie of a browser session (state-changing requests must echo its
/// CSRF token in `X-CSRF-Token`); HTTP Basic (or InfluxDB's `u`/`p` query parameters) for users (with the
/// TOTP code in `X-TwinGuard-OTP` where MFA is enrolled) and development credentials; a verified TLS client
/// certificate (devices, on HTTPS); anonymous only in development mode (`--allow-anonymous`). Then the
/// ``RouteAccess`` declared with the route the router matched is checked against the caller (a request no
/// route matches needs only credentials, then learns 404 or 405). Influx-compatible routes answer a refusal
/// in Influx's shape, the rest with problem details.
struct AuthenticationMiddleware<Context: PrincipalContext>: RouterMiddleware {
    let authorizer: any Authorizer
    let identity: IdentityService
    let localAdminToken: String?
    let peerCertificate: @Sendable (any Channel) async -> ClientCertificate?
    /// The `site` tag of a twin, for users limited to sites.
    let siteOf: @Sendable (TenantID, String) -> String?
    /// Who may read `/metrics`.
    var metricsAccess = MetricsAccess()
    /// Whether the listener is HTTPS.
    var encrypted = false
    /// Where credentials may come unencrypted.
    var plaintext = PlaintextCredentialPolicy()
    /// The declared routes, looked up by the path the router matched.
    let routes: RouteCatalog

    /// The middleware of an API listener.
    init(_ dependencies: HTTPAPIDependencies, routes: RouteCatalog, encrypted: Bool) {
        self.authorizer = dependencies.authorizer
        self.identity = dependencies.identity
        self.localAdminToken = dependencies.localAdminToken
        self.peerCertificate = dependencies.peerCertificate
        self.siteOf = { dependencies.site(of: $1, tenant: $0) }
        self.metricsAccess = dependencies.metricsAccess
        self.encrypted = encrypted
        self.plaintext = dependencies.plaintext
        self.routes = routes
    }

    /// Who is calling, and whether they must still set up their second factor.
    struct Caller {
        var principal: Principal
        var mfaPending = false
    }

    enum Outcome {
        case caller(Caller)
        case refused(AuthenticationFailure)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        let access = self.routes.access(request.method, endpoint: context.endpointPath) ?? .unmatched
        if Self.carriesCredentials(request, access: access),
            !self.plaintext.permits(encrypted: self.encrypted, remote: context.channel.remoteAddress.map { "\($0)" })
        {
            // Refused before the credential is looked at: it has crossed the network in clear already.
            self.identity.auditDenial(
                tenant: .default, actor: context.channel.remoteAddress?.ipAddress ?? "unknown", action: "http.request",
                target: "\(request.method.rawValue) \(path)", detail: "credentials over plain HTTP from another machine")
            if InfluxRoutes.paths.contains(path) { return HTTPJSON.bytes(.forbidden, InfluxJSON.error(PlaintextCredentialPolicy.refusal)) }
            return try ProblemDetails(status: .forbidden, code: "plaintext_credentials", detail: PlaintextCredentialPolicy.refusal)
                .response(from: request, context: context)
        }
        if access.callers == .anyone { return try await next(request, context) }
        if access.callers == .metricsReaders, self.metricsAccess.admits(bearer: Self.bearer(request)) { return try await next(request, context) }
        switch await self.authenticate(request, context: context) {
        case .caller(let caller):
            if access.callers == .metricsReaders {
                // The counters are the whole server's, every tenant's traffic together.
                guard MetricsAccess.admits(caller.principal), !caller.mfaPending else {
                    return try self.refuse(
                        caller.principal, request: request, context: context,
                        needed: "the metrics cover every tenant: use the metrics token (DATA/metrics.token) or an administrator of tenant 'default'")
                }
                return try await next(request, context)
            }
            if let refusal = try self.checkPermission(caller, access: access, request: request, context: context) { return refusal }
            var context = context
            context.principal = caller.principal
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

    private func authenticate(_ request: Request, context: Context) async -> Outcome {
        let path = request.uri.path
        let remote = context.channel.remoteAddress.map { "\($0)" }
        if let token = Self.bearer(request) {
            if let expected = self.localAdminToken, ConstantTime.equal(Array(token.utf8), Array(expected.utf8)) {
                return .caller(Caller(principal: .localAdministrator))
            }
            return self.tokenCaller(token, csrf: nil, cookie: false, request: request, remote: context.channel.remoteAddress?.ipAddress)
        }
        if let session = Self.cookie("tg_session", in: request) {
            return self.tokenCaller(
                session, csrf: request.headers[HTTPField.Name("X-CSRF-Token")!], cookie: true, request: request,
                remote: context.channel.remoteAddress?.ipAddress)
        }
        var username: String?
        var password: [UInt8]?
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
        if let username, self.identity.hasUser(username) {
            let otp = request.headers[HTTPField.Name("X-TwinGuard-OTP")!]
            let result = await self.identity.login(
                name: username, password: String(decoding: password ?? [], as: UTF8.self), totp: otp, remote: remote, channel: "http",
                auditSuccess: false)
            switch result {
            case .success(let user):
                return .caller(
                    Caller(
                        principal: user.principal,
                        mfaPending: user.role.requiresMFA && user.totpSecret == nil))
            case .failure(let failure):
                return .refused(.notAuthorized(reason: failure.description))
            }
        }
        let certificate = username == nil ? await self.peerCertificate(context.channel) : nil
        let credentials = ConnectCredentials(
            clientID: "http", username: username, password: password, remoteAddress: remote, certificate: certificate,
            encrypted: self.encrypted)
        let result: AuthenticationResult
        if let immediate = self.authorizer.authenticateImmediately(credentials) {
            result = immediate
        } else {
            result = await self.authorizer.authenticate(credentials)
        }
        switch result {
        case .accepted(let principal): return .caller(Caller(principal: principal))
        case .refused(let failure): return .refused(failure)
        }
    }

    /// A caller from an access token; cookie-borne sessions must echo their CSRF token on state changes.
    private func tokenCaller(_ token: String, csrf: String?, cookie: Bool, request: Request, remote: String?) -> Outcome {
        switch self.identity.authenticateToken(token) {
        case .failure(let failure):
            // Coalesced per source: a client guessing tokens leaves one entry per 10 s with its count.
            self.identity.auditDenial(
                tenant: .default, actor: remote ?? "unknown", action: cookie ? "http.session" : "http.token",
                target: "\(request.method.rawValue) \(request.uri.path)", detail: failure.description)
            return .refused(.notAuthorized(reason: failure.description))
        case .success(let record):
            if cookie && !(request.method == .get || request.method == .head) {
                guard let csrf, self.identity.csrfMatches(csrf, session: record) else {
                    return .refused(.notAuthorized(reason: "missing or wrong X-CSRF-Token for this session"))
                }
            }
            return .caller(
                Caller(principal: self.identity.principal(of: record), mfaPending: record.mfaPending))
        }
    }

    /// Whether a request carries a password or token: an Authorization header, a session cookie, Influx's `p`,
    /// or a body that holds one (login, first-admin setup, enrollment: ``RouteAccess/credentialsInBody``).
    static func carriesCredentials(_ request: Request, access: RouteAccess) -> Bool {
        if request.headers[.authorization] != nil || Self.cookie("tg_session", in: request) != nil || access.credentialsInBody { return true }
        return InfluxRoutes.paths.contains(request.uri.path) && FormEncoding.decode(request.uri.query ?? "")["p"] != nil
    }

    /// The token a request presents, as a session cookie or a bearer token.
    static func presentedToken(_ request: Request) -> String? {
        Self.cookie("tg_session", in: request) ?? Self.bearer(request)
    }

    /// The bearer token of a request, if it sends one.
    static func bearer(_ request: Request) -> String? {
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else { return nil }
        return header.dropFirst(7).trimmingCharacters(in: .whitespaces)
    }

    /// A cookie's value (Hummingbird's cookie parser), nil when absent or empty.
    static func cookie(_ name: String, in request: Request) -> String? {
        guard let value = request.cookies[name]?.value, !value.isEmpty else { return nil }
        return value
    }

    /// `nil` when the caller may call the route, else the 403 answer.
    private func checkPermission(_ caller: Caller, access: RouteAccess, request: Request, context: Context) throws -> Response? {
        let principal = caller.principal
        let allowed: Bool
        let needed: String
        if caller.mfaPending {
            allowed = access.allowsPendingSecondFactor
            needed = "role '\(principal.role.rawValue)' needs a second factor: enrol TOTP at /api/v1/me/totp first"
        } else if principal.role == .device {
            switch access.devices {
            case .refused: allowed = false
            case .allowed: allowed = true
            case .ownTwin(let parameter): allowed = context.parameters.get(parameter) == principal.subject
            }
            needed = "a device may only renew its certificate and write its own telemetry"
        } else {
            switch access.callers {
            case .permitted(let permission):
                allowed = principal.kind == .anonymousDevelopment || principal.role.allows(permission)
                needed = "role '\(principal.role.rawValue)' lacks the '\(permission.rawValue)' permission"
            case .anyone, .metricsReaders, .authenticated:
                allowed = true
                needed = ""
            }
        }
        if allowed, let sites = principal.sites, principal.role != .device {
            switch access.sites {
            case .filtered:
                return nil
            case .twin(let parameter):
                let twin = context.parameters.get(parameter) ?? ""
                guard !principal.mayAccess(site: self.siteOf(principal.tenant, twin)) else { return nil }
                // As if it did not exist: a user limited to sites learns nothing of the others.
                return try ProblemDetails(status: .notFound, code: "not_found", detail: "No twin '\(twin.prefix(140))'.")
                    .response(from: request, context: context)
            case .tenantWide:
                return try self.refuse(
                    principal, request: request, context: context,
                    needed: "limited to sites \(sites.sorted().joined(separator: ", ")): tenant-wide routes are not available")
            }
        }
        guard !allowed else { return nil }
        return try self.refuse(principal, request: request, context: context, needed: needed)
    }

    private func refuse(_ principal: Principal, request: Request, context: Context, needed: String) throws -> Response {
        let path = request.uri.path
        let detail = "\(request.method.rawValue) \(path) is not allowed: \(needed)"
        context.logger.notice("http request denied", metadata: ["auth.decision": "deny", "auth.principal": "\(principal)", "auth.reason": "\(detail)"])
        self.identity.auditDenial(
            tenant: principal.tenant, actor: principal.subject, action: "http.request", target: "\(request.method.rawValue) \(path)",
            detail: needed, perTarget: true)
        if InfluxRoutes.paths.contains(path) {
            return HTTPJSON.bytes(.forbidden, InfluxJSON.error(detail))
        }
        return try ProblemDetails(status: .forbidden, code: "forbidden", detail: detail).response(from: request, context: context)
    }

}
