import Foundation
import Identity
import Logging
import NIOCore
import NIOHTTP1
import Storage
import TwinGuardCore

/// How the command line administers a data dir: through the admin API of the server running on it
/// (found in `DATA/run/admin.json`), or directly on the data dir when no server runs (holding its lock).
public enum AdminAccess {
    case running(AdminFile.Document)
    case offline(OfflineData)

    /// The data dir of a stopped server, opened for the command line.
    public final class OfflineData {
        let lock: DataDirectoryLock
        let store: SQLiteStore
        let identity: IdentityService

        init(lock: DataDirectoryLock, store: SQLiteStore, identity: IdentityService) {
            self.lock = lock
            self.store = store
            self.identity = identity
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Finds the running server of `dataDir`, or opens the data dir.
    public static func open(dataDir: String) async throws -> AdminAccess {
        if let document = AdminFile.running(dataDir: dataDir) { return .running(document) }
        try DataDirectory.prepare(dataDir)
        let lock = try DataDirectoryLock.acquire(dataDir)
        let store = try SQLiteStore(path: dataDir + "/twinguard.sqlite")
        var logger = Logger(label: "twinguard.cli")
        logger.logLevel = .warning
        let identity = try await IdentityService(pkiDirectory: dataDir + "/pki", store: store, logger: logger)
        return .offline(OfflineData(lock: lock, store: store, identity: identity))
    }

    /// Sends a JSON request to the running server's admin API; throws with the server's explanation
    /// unless the status is 2xx.
    static func call(_ document: AdminFile.Document, _ method: HTTPMethod, _ path: String, _ body: [String: Any]?) async throws -> [String: Any] {
        let bytes = try body.map { Array(try JSONSerialization.data(withJSONObject: $0)) } ?? []
        return try await Self.send(url: document.url, token: document.token, method, path, body: bytes)
    }

    /// One request to a server's API with a bearer token; throws with the server's explanation unless the
    /// status is 2xx or in `accept`.
    /// - Returns: the answer's JSON object (empty when it has none).
    static func send(
        url: String, token: String, _ method: HTTPMethod, _ path: String, body: [UInt8], contentType: String = "application/json",
        accept: Set<Int> = [], timeout: TimeAmount = .seconds(30)
    ) async throws -> [String: Any] {
        let response = try await HTTPRequester.send(
            method, url: url + path, headers: [("Authorization", "Bearer \(token)"), ("Content-Type", contentType)], body: body,
            security: url.hasPrefix("https://") ? .tlsUnverified : .plain, timeout: timeout)
        guard (200..<300).contains(response.status) || accept.contains(response.status) else {
            throw Failure(description: "the server refused (HTTP \(response.status)): \(DeviceEnrollment.detail(response))")
        }
        return (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]) ?? [:]
    }

    /// Creates an enrollment token for `twin` (creating the twin when it does not exist).
    /// - Returns: the token and when it expires (RFC 3339).
    public func createEnrollmentToken(twin: String, model: String?, ttl: String, tenant: TenantID) async throws -> (token: String, expires: String) {
        switch self {
        case .running(let document):
            var body: [String: Any] = ["twin": twin, "ttl": ttl, "tenant": tenant.rawValue]
            if let model { body["model"] = model }
            let answer = try await Self.call(document, .POST, "/api/v1/enrollment-tokens", body)
            return (answer["token"] as? String ?? "", answer["expires_at"] as? String ?? "")
        case .offline(let data):
            guard Twin.isValidID(twin) else { throw Failure(description: "'\(twin)' is not a valid twin id") }
            guard let nanoseconds = DownsampleTier.duration(ttl), nanoseconds > 0 else {
                throw Failure(description: "'--ttl' must be a duration such as 15m, 1h or 7d")
            }
            let twins = try await data.store.loadTwins()
            if !twins.contains(where: { $0.id == twin && $0.tenant == tenant }) {
                if let model, !(try await data.store.loadModels()).contains(where: { $0.0 == tenant && $0.1.id == model }) {
                    throw Failure(description: "no model '\(model)' in tenant '\(tenant)'")
                }
                try await data.store.saveTwins([Twin(tenant: tenant, id: twin, model: model, now: WallClock.nowNanoseconds())])
            }
            let token = try await data.identity.createEnrollmentToken(tenant: tenant, twin: twin, ttl: TimeInterval(nanoseconds) / 1e9, actor: "cli")
            return (token.description, RFC3339.format(WallClock.nowNanoseconds() + nanoseconds))
        }
    }

    /// Revokes every certificate of `twin`. Returns a sentence saying what happened.
    public func revoke(twin: String, reason: String, tenant: TenantID) async throws -> String {
        switch self {
        case .running(let document):
            let answer = try await Self.call(document, .POST, "/api/v1/devices/\(twin)/revoke?tenant=\(tenant.rawValue)", ["reason": reason])
            let serials = answer["revokedCertificates"] as? [String] ?? []
            let closed = answer["closedConnections"] as? Int ?? 0
            return "revoked \(serials.count) certificate(s) of '\(twin)'; closed \(closed) live connection(s)"
        case .offline(let data):
            let result = try await data.identity.revoke(tenant: tenant, twin: twin, reason: reason, actor: "cli")
            return "revoked \(result.revokedCertificates.count) certificate(s) of '\(twin)' (no server running)"
        }
    }

    /// A change of the user lifecycle, as the command line names it.
    public enum UserChange: Sendable {
        case role(Role)
        case disable
        case enable
        case delete
        case resetPassword(String)
        case resetTOTP
    }

    /// Applies a lifecycle change to a user (audited by the server; sessions and tokens cut where rights go).
    public func changeUser(_ name: String, _ change: UserChange) async throws {
        switch self {
        case .running(let document):
            let path = Self.userPath(name)
            switch change {
            case .role(let role): _ = try await Self.call(document, .PATCH, path, ["role": role.rawValue])
            case .disable: _ = try await Self.call(document, .PATCH, path, ["disabled": true])
            case .enable: _ = try await Self.call(document, .PATCH, path, ["disabled": false])
            case .delete: _ = try await Self.call(document, .DELETE, path, nil)
            case .resetPassword(let password): _ = try await Self.call(document, .POST, path + "/password", ["password": password])
            case .resetTOTP: _ = try await Self.call(document, .DELETE, path + "/totp", nil)
            }
        case .offline(let data):
            let identity = data.identity
            switch change {
            case .role(let role): _ = try await identity.updateUser(name: name, by: .localAdministrator, role: role, disabled: nil, sites: nil)
            case .disable: _ = try await identity.updateUser(name: name, by: .localAdministrator, role: nil, disabled: true, sites: nil)
            case .enable: _ = try await identity.updateUser(name: name, by: .localAdministrator, role: nil, disabled: false, sites: nil)
            case .delete: try await identity.deleteUser(name: name, by: .localAdministrator)
            case .resetPassword(let password): try await identity.resetPassword(name: name, password: password, by: .localAdministrator)
            case .resetTOTP: try await identity.resetTOTP(name: name, by: .localAdministrator)
            }
        }
    }

    /// `/api/v1/users/{name}` with the name escaped.
    static func userPath(_ name: String) -> String {
        "/api/v1/users/" + (name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? name)
    }

    /// A user's API tokens and sessions, one line each (`id kind name role expires`).
    public func tokens(of name: String) async throws -> [String] {
        switch self {
        case .running(let document):
            let path = Self.userPath(name) + "/tokens"
            let answer = try await Self.call(document, .GET, path, nil)
            return ((answer["items"] as? [[String: Any]]) ?? []).map { item in
                ["id", "kind", "name", "role", "expires_at"].map { "\(item[$0] ?? "")" }.joined(separator: "  ")
            }
        case .offline(let data):
            guard data.identity.user(named: name) != nil else { throw Failure(description: "no user '\(name)'") }
            return data.identity.accessTokens(of: name).map { record in
                [record.id, record.kind.rawValue, record.name, record.role.rawValue, RFC3339.format(record.expiresAt)].joined(separator: "  ")
            }
        }
    }

    /// Revokes an API token or session by its id (audited).
    public func revokeToken(_ id: String) async throws {
        switch self {
        case .running(let document):
            _ = try await Self.call(document, .DELETE, "/api/v1/tokens/" + (id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? id), nil)
        case .offline(let data):
            guard try await data.identity.revokeToken(id: id, by: .localAdministrator) else { throw Failure(description: "no token '\(id)'") }
        }
    }

    /// Adds a user.
    public func addUser(name: String, role: Role, password: String, tenant: TenantID, sites: [String]?) async throws {
        switch self {
        case .running(let document):
            var body: [String: Any] = ["name": name, "role": role.rawValue, "password": password, "tenant": tenant.rawValue]
            if let sites { body["sites"] = sites }
            _ = try await Self.call(document, .POST, "/api/v1/users", body)
        case .offline(let data):
            _ = try await data.identity.addUser(name: name, tenant: tenant, role: role, password: password, actor: "cli", sites: sites)
        }
    }

    /// The audit log's verification, and its entries for export (offline: read directly; running: via API).
    /// - Parameter anchorJSON: a checkpoint exported earlier (``latestAuditCheckpoint()``), which must still be
    ///   in the log.
    public func verifyAudit(anchorJSON: [UInt8]? = nil) async throws -> (intact: Bool, finding: String) {
        let anchor = try anchorJSON.map { bytes throws -> AuditCheckpoint in
            guard let decoded = try? JSONDecoder().decode(AuditCheckpoint.self, from: Data(bytes)) else {
                throw Failure(description: "the anchor is not a checkpoint written by 'twinguard audit checkpoint'")
            }
            return decoded
        }
        switch self {
        case .running(let document):
            let answer: [String: Any]
            if let anchor {
                answer = try await Self.send(
                    url: document.url, token: document.token, .POST, "/api/v1/audit/verify", body: Array(try JSONEncoder().encode(anchor)))
            } else {
                answer = try await Self.call(document, .GET, "/api/v1/audit/verify", nil)
            }
            return (answer["intact"] as? String == "true", answer["finding"] as? String ?? "")
        case .offline(let data):
            let finding = try await data.identity.verifyAudit(anchor: anchor)
            return (finding.isIntact, finding.description)
        }
    }

    /// The newest signed checkpoint of the audit chain, as JSON, to keep away from this machine.
    public func latestAuditCheckpoint() async throws -> [UInt8] {
        switch self {
        case .running(let document):
            let response = try await HTTPRequester.send(
                .GET, url: document.url + "/api/v1/audit/checkpoint", headers: [("Authorization", "Bearer \(document.token)")],
                security: document.url.hasPrefix("https://") ? .tlsUnverified : .plain)
            guard response.status == 200 else {
                throw Failure(description: "the server refused (HTTP \(response.status)): \(DeviceEnrollment.detail(response))")
            }
            return response.body
        case .offline(let data):
            _ = try await data.identity.writeAuditCheckpoint()
            guard let checkpoint = try await data.identity.latestAuditCheckpoint() else {
                throw Failure(description: "the audit log is empty: there is nothing to anchor yet")
            }
            return Array(try JSONEncoder().encode(checkpoint))
        }
    }

    /// Every audit entry after `after`, a page at a time.
    public func auditEntries(after: Int64) async throws -> [AuditEntry] {
        switch self {
        case .running(let document):
            let answer = try await Self.call(document, .GET, "/api/v1/audit?after=\(after)&limit=1000", nil)
            let data = try JSONSerialization.data(withJSONObject: answer["entries"] ?? [])
            return try JSONDecoder().decode([AuditEntry].self, from: data)
        case .offline(let data):
            return try await data.identity.auditEntries(after: after, limit: 1000, tenant: nil)
        }
    }
}
