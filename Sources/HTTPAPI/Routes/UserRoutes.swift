import Foundation
import HTTPTypes
import Hummingbird
import Identity
import NIOCore
import TwinGuardCore

/// Users and their credentials: the first administrator's setup, login (a browser session with an
/// HttpOnly cookie and a CSRF token), logout, TOTP enrolment, API tokens, and the list of users.
struct UserRoutes: RouteSet {
    let dependencies: HTTPAPIDependencies
    var identity: IdentityService { self.dependencies.identity }

    struct SetupRequest: Decodable {
        var token: String
        var name: String
        var password: String
    }

    struct LoginRequest: Decodable {
        var name: String
        var password: String
        var totp: String?
    }

    struct LoginResponse: Encodable {
        var token: String
        var csrf: String
        var expiresAt: String
        var mfaPending: Bool
        enum CodingKeys: String, CodingKey {
            case token, csrf
            case expiresAt = "expires_at"
            case mfaPending = "mfa_pending"
        }
    }

    struct CodeRequest: Decodable {
        var code: String
    }

    struct EnrolledResponse: Encodable {
        var mfaEnrolled: Bool
        var recoveryCodes: [String]
        enum CodingKeys: String, CodingKey {
            case mfaEnrolled = "mfa_enrolled"
            case recoveryCodes = "recovery_codes"
        }
    }

    struct TokenRequest: Decodable {
        var name: String
        var ttl: String?
        var role: Role?
    }

    struct UserDocument: Encodable {
        var name: String
        var tenant: String
        var role: String
        var mfaEnrolled: Bool
        var mfaRequired: Bool
        var locked: Bool
        var disabled: Bool
        var sites: [String]?
        var recoveryCodesLeft: Int?
        enum CodingKeys: String, CodingKey {
            case name, tenant, role, locked, sites, disabled
            case mfaEnrolled = "mfa_enrolled"
            case mfaRequired = "mfa_required"
            case recoveryCodesLeft = "recovery_codes_left"
        }

        /// - Parameter locked: whether the user is locked out from some address now.
        init(_ user: UserRecord, locked: Bool = false) {
            self.name = user.name
            self.tenant = user.tenant.rawValue
            self.role = user.role.rawValue
            self.mfaEnrolled = user.totpSecret != nil
            self.mfaRequired = user.role.requiresMFA
            self.locked = locked
            self.disabled = user.disabled ?? false
            self.sites = user.sites
            self.recoveryCodesLeft = user.recoveryCodes?.count
        }
    }

    static func declare(_ api: inout APIRoutes.Declarations<Self>) {
        api.post("/api/v1/setup", .anyone.carryingCredentialsInBody()) { routes, request, context in
            let body = try HTTPJSON.decode(SetupRequest.self, from: try await HTTPJSON.body(request, limit: 16 * 1024), what: "setup")
            let user = try await routes.identity.completeFirstAdminSetup(
                token: body.token, name: body.name, password: body.password, remote: context.channel.remoteAddress.map { "\($0)" })
            return try HTTPJSON.encode(.created, UserDocument(user, locked: routes.identity.isLockedOut(user.name)))
        }
        api.post("/api/v1/login", .anyone.carryingCredentialsInBody()) { routes, request, context in
            let body = try HTTPJSON.decode(LoginRequest.self, from: try await HTTPJSON.body(request, limit: 16 * 1024), what: "login")
            let remote = context.channel.remoteAddress.map { "\($0)" }
            switch await routes.identity.login(
                name: body.name, password: body.password, totp: body.totp, remote: remote, channel: "session", interactive: true)
            {
            case .failure(let failure):
                throw failure
            case .success(let user):
                let pending = user.role.requiresMFA && user.totpSecret == nil
                let session = try await routes.identity.openSession(for: user, mfaPending: pending, remote: remote)
                var headers = HTTPFields()
                let age = IdentityService.sessionSeconds
                headers.append(
                    HTTPField(name: .setCookie, value: "tg_session=\(session.token); Path=/; Max-Age=\(age); HttpOnly; Secure; SameSite=Strict"))
                headers.append(
                    HTTPField(name: .setCookie, value: "tg_csrf=\(session.csrf ?? ""); Path=/; Max-Age=\(age); Secure; SameSite=Strict"))
                return try HTTPJSON.encode(
                    .ok,
                    LoginResponse(
                        token: session.token, csrf: session.csrf ?? "", expiresAt: RFC3339.format(session.record.expiresAt), mfaPending: pending),
                    headers: headers)
            }
        }
        api.post("/api/v1/logout", .needs(.read, sites: .filtered).allowingPendingSecondFactor()) { routes, request, context in
            let principal = try context.requirePrincipal()
            if let token = AuthenticationMiddleware<APIRequestContext>.presentedToken(request), case .success(let record) = routes.identity.authenticateToken(token) {
                _ = try await routes.identity.revokeToken(id: record.id, by: principal)
            }
            var headers = HTTPFields()
            headers.append(HTTPField(name: .setCookie, value: "tg_session=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict"))
            headers.append(HTTPField(name: .setCookie, value: "tg_csrf=; Path=/; Max-Age=0; Secure; SameSite=Strict"))
            return Response(status: .noContent, headers: headers)
        }
        api.get("/api/v1/me", .needs(.read, sites: .filtered).allowingPendingSecondFactor()) { routes, _, context in
            let principal = try context.requirePrincipal()
            guard let user = routes.identity.user(named: principal.subject) else {
                return try HTTPJSON.encode(.ok, ["name": principal.subject, "role": principal.role.rawValue, "tenant": principal.tenant.rawValue])
            }
            return try HTTPJSON.encode(.ok, UserDocument(user, locked: routes.identity.isLockedOut(user.name)))
        }
        api.post("/api/v1/me/totp", .needs(.read, sites: .filtered).allowingPendingSecondFactor()) { routes, _, context in
            let principal = try context.requirePrincipal()
            guard routes.identity.hasUser(principal.subject) else {
                throw ProblemDetails(status: .forbidden, code: "forbidden", detail: "Only users enrol a second factor.")
            }
            let (secret, url) = try await routes.identity.beginTOTPEnrollment(user: principal.subject)
            return try HTTPJSON.encode(.ok, ["secret": secret, "otpauth_url": url])
        }
        api.post("/api/v1/me/totp/confirm", .needs(.read, sites: .filtered).allowingPendingSecondFactor()) { routes, request, context in
            let principal = try context.requirePrincipal()
            let body = try HTTPJSON.decode(CodeRequest.self, from: try await HTTPJSON.body(request, limit: 4096), what: "code")
            do {
                guard try await routes.identity.confirmTOTP(user: principal.subject, code: body.code) else {
                    throw ProblemDetails(status: .unprocessableContent, code: "wrong_code", detail: "The code is wrong; check the authenticator's clock and try the current code.")
                }
            } catch is UserError {
                throw ProblemDetails(status: .conflict, code: "no_enrolment", detail: "Start the enrolment with POST /api/v1/me/totp first.")
            }
            // Recovery codes with the second factor, shown this once: a lost phone is not a locked-out account.
            let codes = try await routes.identity.makeRecoveryCodes(user: principal.subject)
            return try HTTPJSON.encode(.ok, EnrolledResponse(mfaEnrolled: true, recoveryCodes: codes))
        }
        api.post("/api/v1/tokens", .needs(.read, sites: .filtered)) { routes, request, context in
            let principal = try context.requirePrincipal()
            let body = try HTTPJSON.decode(TokenRequest.self, from: try await HTTPJSON.body(request, limit: 4096), what: "token")
            let seconds = try IdentityRoutes.seconds(body.ttl ?? "30d")
            do {
                let issued = try await routes.identity.createAPIToken(for: principal, name: body.name, role: body.role, seconds: Int64(seconds))
                return try HTTPJSON.encode(
                    .created,
                    ["token": issued.token, "id": issued.record.id, "role": issued.record.role.rawValue,
                     "expires_at": RFC3339.format(issued.record.expiresAt)])
            } catch is UserError {
                throw ProblemDetails(status: .forbidden, code: "forbidden", detail: "Only users make API tokens.")
            }
        }
        api.delete("/api/v1/tokens/{id}", .needs(.read, sites: .filtered)) { routes, _, context in
            let principal = try context.requirePrincipal()
            let id = try context.parameters.require("id")
            guard try await routes.identity.revokeToken(id: id, by: principal) else {
                throw ProblemDetails(status: .notFound, code: "not_found", detail: "No token '\(id.prefix(40))' of yours.")
            }
            return Response(status: .noContent)
        }
        api.get("/api/v1/users", .needs(.administer)) { routes, _, context in
            let principal = try context.requirePrincipal()
            let users = routes.identity.users().filter { principal.administersAllTenants || $0.tenant == principal.tenant }
            return try HTTPJSON.encode(.ok, ["items": users.map { UserDocument($0, locked: routes.identity.isLockedOut($0.name)) }])
        }
    }
}
