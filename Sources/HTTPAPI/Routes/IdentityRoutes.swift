import Foundation
import HTTPTypes
import Hummingbird
import Identity
import NIOCore
import TwinGuardCore
import Twins

/// Device identity over HTTP: the CA certificate and CRL (public), enrollment with a one-time token
/// (public), renewal with the current certificate, and for security officers enrollment tokens,
/// revocation and trust tiers; for administrators users; and the audit log.
struct IdentityRoutes: RouteSet {
    let dependencies: HTTPAPIDependencies
    var identity: IdentityService { self.dependencies.identity }

    struct EnrollRequest: Decodable {
        var token: String
        /// The device's certificate signing request, PEM.
        var csr: String
    }

    struct RenewRequest: Decodable {
        var csr: String
    }

    struct EnrollResponse: Encodable {
        var tenant: String
        var twin: String
        var certificate: String
        var ca: String
    }

    struct TokenRequest: Decodable {
        /// Another tenant than the caller's: only for the local administrator (the command line).
        var tenant: String?
        var twin: String
        var model: String?
        /// A duration such as `1h` (default) or `15m`.
        var ttl: String?
    }

    struct TokenResponse: Encodable {
        var token: String
        var twin: String
        var expiresAt: String
        var caFingerprint: String
        enum CodingKeys: String, CodingKey {
            case token, twin
            case expiresAt = "expires_at"
            case caFingerprint = "ca_fingerprint"
        }
    }

    struct ReasonRequest: Decodable {
        var reason: String?
    }

    struct TierRequest: Decodable {
        /// `null` clears the override: the trust score decides again.
        var tier: TrustTier?
        var reason: String
    }

    struct UserRequest: Decodable {
        var tenant: String?
        /// The sites the user is limited to; absent for the whole tenant.
        var sites: [String]?
        var name: String
        var role: Role
        var password: String
    }

    static func declare(_ api: inout APIRoutes.Declarations<Self>) {
        api.get("/pki/ca.crt", .anyone) { routes, _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/x-pem-file"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: routes.identity.authority.certificatePEM)))
        }
        api.get("/pki/crl", .anyone) { routes, _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/pkix-crl"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: routes.identity.revocationList)))
        }
        api.post("/api/v1/enroll", .anyone.carryingCredentialsInBody()) { routes, request, context in
            let body = try HTTPJSON.decode(EnrollRequest.self, from: try await HTTPJSON.body(request, limit: 64 * 1024), what: "enrollment")
            let issued = try await routes.identity.enroll(token: body.token, csrPEM: body.csr, remote: context.channel.remoteAddress.map { "\($0)" })
            return try HTTPJSON.encode(.created, Self.response(issued))
        }
        api.post("/api/v1/attestation/nonce", .needs(.administer).devices(.allowed)) { routes, _, context in
            let principal = try context.requirePrincipal()
            guard principal.role == .device else {
                throw ProblemDetails(status: .forbidden, code: "forbidden", detail: "Only devices ask for attestation nonces.")
            }
            let (nonce, expires) = routes.identity.attestationNonce(tenant: principal.tenant, twin: principal.subject)
            return try HTTPJSON.encode(.created, ["nonce": nonce, "expires_at": RFC3339.format(expires)])
        }
        api.post("/api/v1/enroll/renew", .needs(.administer).devices(.allowed).carryingCredentialsInBody()) { routes, request, context in
            let principal = try context.requirePrincipal()
            guard principal.role == .device, let certificate = await routes.dependencies.peerCertificate(context.channel) else {
                throw ProblemDetails(status: .forbidden, code: "forbidden", detail: "Renewal needs the device's current certificate (HTTPS with a client certificate).")
            }
            let body = try HTTPJSON.decode(RenewRequest.self, from: try await HTTPJSON.body(request, limit: 64 * 1024), what: "renewal")
            let issued = try await routes.identity.renew(
                identity: DeviceIdentity(tenant: certificate.tenant, twin: certificate.twin), csrPEM: body.csr, currentSerial: certificate.serial)
            return try HTTPJSON.encode(.created, Self.response(issued))
        }
        api.post("/api/v1/enrollment-tokens", .needs(.manageDevices, sites: .filtered)) { routes, request, context in
            let principal = try context.requirePrincipal()
            let body = try HTTPJSON.decode(TokenRequest.self, from: try await HTTPJSON.body(request, limit: 16 * 1024), what: "enrollment token")
            let tenant = try Self.tenant(body.tenant, for: principal)
            if principal.sites != nil, !principal.mayAccess(site: routes.dependencies.site(of: body.twin, tenant: tenant)) {
                throw ProblemDetails(
                    status: .forbidden, code: "forbidden",
                    detail: "You are limited to sites: enrollment tokens only for existing twins of those sites.")
            }
            let ttl = try Self.seconds(body.ttl ?? "1h")
            if let model = body.model, !ModelValidator.isValidModelID(model) {
                throw ProblemDetails(status: .unprocessableContent, code: "invalid", detail: "'model' must be a model id such as 'tg:factory:Pump;1'.")
            }
            if (try? routes.dependencies.registry.twin(body.twin, tenant: tenant)) == nil {
                _ = try await routes.dependencies.registry.createTwin(TwinDraft(id: body.twin, model: body.model), tenant: tenant)
            }
            let token = try await routes.identity.createEnrollmentToken(tenant: tenant, twin: body.twin, ttl: ttl, actor: principal.subject)
            return try HTTPJSON.encode(
                .created,
                TokenResponse(
                    token: token.description, twin: body.twin,
                    expiresAt: RFC3339.format(WallClock.nowNanoseconds() + Int64(ttl * 1e9)), caFingerprint: token.caFingerprint))
        }
        api.get("/api/v1/devices", .needs(.manageDevices, sites: .filtered)) { routes, _, context in
            let principal = try context.requirePrincipal()
            let twins = Set(routes.identity.trustRecords(tenant: principal.tenant).map(\.twin))
                .union(routes.identity.enrolledTwins(tenant: principal.tenant)).sorted()
                .filter { routes.dependencies.visible($0, to: principal) }
            return try HTTPJSON.encode(.ok, ["items": twins.map { Self.device(routes.identity, tenant: principal.tenant, twin: $0) }])
        }
        api.get("/api/v1/posture-policy", .needs(.manageDevices, sites: .filtered)) { routes, _, context in
            let principal = try context.requirePrincipal()
            return try HTTPJSON.encode(.ok, routes.identity.posturePolicy(tenant: principal.tenant))
        }
        api.put("/api/v1/posture-policy", .needs(.manageDevices)) { routes, request, context in
            let principal = try context.requirePrincipal()
            let policy = try HTTPJSON.decode(PosturePolicy.self, from: try await HTTPJSON.body(request, limit: 64 * 1024), what: "posture policy")
            try await routes.identity.setPosturePolicy(policy, tenant: principal.tenant, actor: principal.subject)
            return try HTTPJSON.encode(.ok, policy)
        }
        api.get("/api/v1/policies", .needs(.manageDevices, sites: .filtered)) { routes, _, context in
            let principal = try context.requirePrincipal()
            return try HTTPJSON.encode(.ok, ["items": [PolicyDocument.deviceDefault] + routes.identity.policies(tenant: principal.tenant)])
        }
        api.put("/api/v1/policies", .needs(.manageDevices)) { routes, request, context in
            let principal = try context.requirePrincipal()
            struct Body: Decodable { var items: [PolicyDocument] }
            let body = try HTTPJSON.decode(Body.self, from: try await HTTPJSON.body(request, limit: 256 * 1024), what: "policies")
            try await routes.identity.setPolicies(
                body.items.filter { $0.id != PolicyDocument.deviceDefault.id }, tenant: principal.tenant, actor: principal.subject)
            return try HTTPJSON.encode(.ok, ["items": [PolicyDocument.deviceDefault] + routes.identity.policies(tenant: principal.tenant)])
        }
        api.post("/api/v1/devices/{id}/password", .needs(.manageDevices, sites: .twin(parameter: "id"))) { routes, _, context in
            let principal = try context.requirePrincipal()
            let twin = try Self.twinID(context)
            let (username, password) = try await routes.identity.createDevicePassword(tenant: principal.tenant, twin: twin, actor: principal.subject)
            return try HTTPJSON.encode(.created, ["username": username, "password": password])
        }
        api.get("/api/v1/devices/{id}", .needs(.manageDevices, sites: .twin(parameter: "id"))) { routes, _, context in
            let principal = try context.requirePrincipal()
            let twin = try Self.twinID(context)
            return try HTTPJSON.encode(.ok, Self.device(routes.identity, tenant: principal.tenant, twin: twin))
        }
        api.post("/api/v1/devices/{id}/revoke", .needs(.manageDevices, sites: .twin(parameter: "id"))) { routes, request, context in
            let principal = try context.requirePrincipal()
            let twin = try Self.twinID(context)
            let body = try HTTPJSON.decode(ReasonRequest.self, from: try await HTTPJSON.body(request, limit: 16 * 1024), what: "revocation")
            let result = try await routes.identity.revoke(
                tenant: try Self.tenant(FormEncoding.decode(request.uri.query ?? "")["tenant"], for: principal), twin: twin, reason: body.reason ?? "revoked by \(principal.subject)", actor: principal.subject)
            return try HTTPJSON.encode(.ok, result)
        }
        api.put("/api/v1/devices/{id}/tier", .needs(.manageDevices, sites: .twin(parameter: "id"))) { routes, request, context in
            let principal = try context.requirePrincipal()
            let twin = try Self.twinID(context)
            let body = try HTTPJSON.decode(TierRequest.self, from: try await HTTPJSON.body(request, limit: 16 * 1024), what: "trust tier")
            guard !body.reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw ProblemDetails(status: .unprocessableContent, code: "invalid", detail: "An override needs a 'reason'.")
            }
            try await routes.identity.setTier(body.tier, tenant: principal.tenant, twin: twin, reason: body.reason, actor: principal.subject)
            return try HTTPJSON.encode(.ok, Self.device(routes.identity, tenant: principal.tenant, twin: twin))
        }
        api.post("/api/v1/users", .needs(.administer)) { routes, request, context in
            let principal = try context.requirePrincipal()
            let body = try HTTPJSON.decode(UserRequest.self, from: try await HTTPJSON.body(request, limit: 16 * 1024), what: "user")
            let user = try await routes.identity.addUser(
                name: body.name, tenant: try Self.tenant(body.tenant, for: principal), role: body.role, password: body.password,
                actor: principal.subject, sites: body.sites)
            return try HTTPJSON.encode(.created, UserRoutes.UserDocument(user))
        }
        api.get("/api/v1/audit", .needs(.readAudit)) { routes, request, context in
            let principal = try context.requirePrincipal()
            let query = FormEncoding.decode(request.uri.query ?? "")
            guard let after = Int64(query["after"] ?? "0"), after >= 0 else {
                throw ProblemDetails(status: .unprocessableContent, code: "invalid_parameter", detail: "'after' must be a sequence number (0 or more).")
            }
            guard let limit = Int(query["limit"] ?? "100"), (1...1000).contains(limit) else {
                throw ProblemDetails(status: .unprocessableContent, code: "invalid_parameter", detail: "'limit' must be an integer from 1 to 1000.")
            }
            let entries = try await routes.identity.auditEntries(
                after: after, limit: limit, tenant: principal.administersAllTenants ? nil : principal.tenant)
            return try HTTPJSON.encode(.ok, AuditPage(entries: entries, next: entries.count == limit ? entries.last.map { String($0.sequence) } : nil))
        }
        api.get("/api/v1/audit/verify", .needs(.readAudit)) { routes, _, context in
            let principal = try context.requirePrincipal()
            let finding = try await routes.identity.verifyAudit()
            // The chain is one for all tenants: its length and head say how busy the others are, so only the
            // local administrator sees them; a tenant learns whether the chain is intact.
            let description = principal.administersAllTenants ? finding.description : (finding.isIntact ? "intact" : "not intact: ask the operator of this server")
            return try HTTPJSON.encode(.ok, ["intact": finding.isIntact ? "true" : "false", "finding": description])
        }
        api.post("/api/v1/audit/verify", .needs(.readAudit)) { routes, request, context in
            let principal = try context.requirePrincipal()
            try Self.requireAllTenants(principal, "verifying against an exported checkpoint")
            let anchor = try HTTPJSON.decode(AuditCheckpoint.self, from: try await HTTPJSON.body(request, limit: 16 * 1024), what: "checkpoint")
            let finding = try await routes.identity.verifyAudit(anchor: anchor)
            return try HTTPJSON.encode(.ok, ["intact": finding.isIntact ? "true" : "false", "finding": finding.description])
        }
        api.get("/api/v1/audit/checkpoint", .needs(.readAudit)) { routes, _, context in
            let principal = try context.requirePrincipal()
            try Self.requireAllTenants(principal, "the audit checkpoint")
            _ = try await routes.identity.writeAuditCheckpoint()
            guard let checkpoint = try await routes.identity.latestAuditCheckpoint() else {
                throw ProblemDetails(status: .notFound, code: "not_found", detail: "The audit log is empty: nothing to anchor yet.")
            }
            return try HTTPJSON.encode(.ok, checkpoint)
        }
    }

    static func response(_ issued: IssuedCertificate) -> EnrollResponse {
        EnrollResponse(
            tenant: issued.identity.tenant.rawValue, twin: issued.identity.twin, certificate: issued.certificatePEM, ca: issued.caPEM)
    }

    struct DeviceDocument: Encodable {
        var twin: String
        var tier: String
        var score: Int
        var scoreReasons: [String]
        var override: String?
        var overrideReason: String?
        var posture: PostureReport?
        var postureAt: String?
        var postureFindings: [String]?
        var quotedPCRDigest: String?
        var certificates: [DeviceCertificateRecord]
        enum CodingKeys: String, CodingKey {
            case twin, tier, score, override, posture, certificates
            case scoreReasons = "score_reasons"
            case overrideReason = "override_reason"
            case postureAt = "posture_at"
            case postureFindings = "posture_findings"
            case quotedPCRDigest = "quoted_pcr_digest"
        }
    }

    static func device(_ identity: IdentityService, tenant: TenantID, twin: String) -> DeviceDocument {
        let trust = identity.trust(tenant: tenant, twin: twin)
        return DeviceDocument(
            twin: twin, tier: trust.tier.rawValue, score: trust.score.score, scoreReasons: trust.score.reasons,
            override: trust.override?.rawValue, overrideReason: trust.overrideReason, posture: trust.posture,
            postureAt: trust.postureAt.map(RFC3339.format), postureFindings: trust.postureFindings, quotedPCRDigest: trust.quotedPCRDigest,
            certificates: identity.certificates(tenant: tenant, twin: twin))
    }

    /// The `{id}` path parameter (a twin), checked.
    static func twinID(_ context: APIRequestContext) throws -> String {
        let twin = try context.parameters.require("id")
        guard Twin.isValidID(twin) else {
            throw ProblemDetails(status: .unprocessableContent, code: "invalid_id", detail: "'\(twin.prefix(140))' is not a valid twin id.")
        }
        return twin
    }

    /// Refuses everyone but the local administrator: the whole chain's head says how busy every tenant is.
    static func requireAllTenants(_ principal: Principal, _ what: String) throws {
        guard principal.administersAllTenants else {
            throw ProblemDetails(
                status: .forbidden, code: "forbidden",
                detail: "Only the local administrator (DATA/run/admin.json, the twinguard command line) may use \(what): it covers every tenant.")
        }
    }

    /// A page of the audit log: `next` is the `after` of the following page, absent on the last.
    struct AuditPage: Encodable {
        var entries: [AuditEntry]
        var next: String?
    }

    /// The tenant a request acts in: the caller's own, or any for the local administrator.
    static func tenant(_ requested: String?, for principal: Principal) throws -> TenantID {
        guard let requested, requested != principal.tenant.rawValue else { return principal.tenant }
        guard principal.administersAllTenants else {
            throw ProblemDetails(status: .forbidden, code: "forbidden", detail: "You may only act in your own tenant '\(principal.tenant)'.")
        }
        guard let tenant = TenantID(requested) else {
            throw ProblemDetails(status: .unprocessableContent, code: "invalid", detail: "'\(requested.prefix(80))' is not a valid tenant id.")
        }
        return tenant
    }

    static func seconds(_ text: String) throws -> TimeInterval {
        guard let nanoseconds = DownsampleTier.duration(text), nanoseconds > 0, nanoseconds <= 30 * 86_400 * 1_000_000_000 else {
            throw ProblemDetails(status: .unprocessableContent, code: "invalid", detail: "'ttl' must be a duration such as 15m, 1h or 7d (at most 30d).")
        }
        return TimeInterval(nanoseconds) / 1e9
    }
}
