import Foundation
import HTTPTypes
import Hummingbird
import Identity
import TwinGuardCore

/// The user lifecycle: change a user's role, sites or whether it is disabled, delete it, reset its password or
/// second factor, list and revoke its tokens (administrators, in their own tenant); change one's own
/// password and make new recovery codes (every user). Every change is audited; taking rights away revokes the
/// user's sessions and tokens and closes its MQTT connections at once.
struct UserLifecycleRoutes: RouteSet {
    let dependencies: HTTPAPIDependencies
    var identity: IdentityService { self.dependencies.identity }

    /// `PATCH /api/v1/users/{name}`: only what is sent changes; `"sites": null` lifts a site limit.
    struct UserPatch: Decodable {
        var role: Role?
        var disabled: Bool?
        var sites: [String]??

        enum CodingKeys: String, CodingKey { case role, disabled, sites }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.role = try container.decodeIfPresent(Role.self, forKey: .role)
            self.disabled = try container.decodeIfPresent(Bool.self, forKey: .disabled)
            if container.contains(.sites) {
                self.sites = .some(try container.decodeNil(forKey: .sites) ? nil : try container.decode([String].self, forKey: .sites))
            }
        }
    }

    struct PasswordReset: Decodable {
        var password: String
    }

    struct PasswordChange: Decodable {
        var current: String
        var password: String
    }

    struct TokenDocument: Encodable {
        var id: String
        var kind: String
        var name: String
        var role: String
        var createdAt: String
        var expiresAt: String
        enum CodingKeys: String, CodingKey {
            case id, kind, name, role
            case createdAt = "created_at"
            case expiresAt = "expires_at"
        }

        init(_ record: AccessTokenRecord) {
            self.id = record.id
            self.kind = record.kind.rawValue
            self.name = record.name
            self.role = record.role.rawValue
            self.createdAt = RFC3339.format(record.createdAt)
            self.expiresAt = RFC3339.format(record.expiresAt)
        }
    }

    static func declare(_ api: inout APIRoutes.Declarations<Self>) {
        api.patch("/api/v1/users/{name}", .needs(.administer)) { routes, request, context in
            let principal = try context.requirePrincipal()
            let name = try context.parameters.require("name")
            let patch = try HTTPJSON.decode(UserPatch.self, from: try await HTTPJSON.body(request, limit: 16 * 1024), what: "user change")
            let user = try await routes.identity.updateUser(name: name, by: principal, role: patch.role, disabled: patch.disabled, sites: patch.sites)
            return try HTTPJSON.encode(.ok, UserRoutes.UserDocument(user, locked: routes.identity.isLockedOut(user.name)))
        }
        api.delete("/api/v1/users/{name}", .needs(.administer)) { routes, _, context in
            let principal = try context.requirePrincipal()
            let name = try context.parameters.require("name")
            try await routes.identity.deleteUser(name: name, by: principal)
            return Response(status: .noContent)
        }
        api.post("/api/v1/users/{name}/password", .needs(.administer)) { routes, request, context in
            let principal = try context.requirePrincipal()
            let name = try context.parameters.require("name")
            let body = try HTTPJSON.decode(PasswordReset.self, from: try await HTTPJSON.body(request, limit: 16 * 1024), what: "password")
            try await routes.identity.resetPassword(name: name, password: body.password, by: principal)
            return Response(status: .noContent)
        }
        api.delete("/api/v1/users/{name}/totp", .needs(.administer)) { routes, _, context in
            let principal = try context.requirePrincipal()
            let name = try context.parameters.require("name")
            try await routes.identity.resetTOTP(name: name, by: principal)
            return Response(status: .noContent)
        }
        api.get("/api/v1/users/{name}/tokens", .needs(.administer)) { routes, _, context in
            let principal = try context.requirePrincipal()
            let name = try context.parameters.require("name")
            guard let user = routes.identity.user(named: name), principal.administersAllTenants || user.tenant == principal.tenant else {
                throw ProblemDetails(status: .notFound, code: "not_found", detail: "No user '\(name.prefix(64))'.")
            }
            return try HTTPJSON.encode(.ok, ["items": routes.identity.accessTokens(of: user.name).map(TokenDocument.init)])
        }
        api.get("/api/v1/tokens", .needs(.read, sites: .filtered)) { routes, _, context in
            let principal = try context.requirePrincipal()
            return try HTTPJSON.encode(.ok, ["items": routes.identity.accessTokens(of: principal.subject).filter { $0.tenant == principal.tenant }.map(TokenDocument.init)])
        }
        api.post("/api/v1/me/password", .needs(.read, sites: .filtered).allowingPendingSecondFactor()) { routes, request, context in
            let principal = try context.requirePrincipal()
            let body = try HTTPJSON.decode(PasswordChange.self, from: try await HTTPJSON.body(request, limit: 16 * 1024), what: "password change")
            let keep = AuthenticationMiddleware<APIRequestContext>.presentedToken(request).flatMap { token -> String? in
                if case .success(let record) = routes.identity.authenticateToken(token) { return record.id }
                return nil
            }
            try await routes.identity.changeOwnPassword(name: principal.subject, current: body.current, new: body.password, keeping: keep)
            return Response(status: .noContent)
        }
        api.post("/api/v1/me/recovery-codes", .needs(.read, sites: .filtered).allowingPendingSecondFactor()) { routes, _, context in
            let principal = try context.requirePrincipal()
            let codes = try await routes.identity.makeRecoveryCodes(user: principal.subject)
            return try HTTPJSON.encode(.ok, ["recovery_codes": codes])
        }
    }
}
