import Foundation
import Logging
import Synchronization
import TwinGuardCore

/// Why a bearer token or session was refused.
public enum AccessTokenFailure: Error, Equatable, CustomStringConvertible {
    case unknown
    case expired
    case roleTooHigh(Role)
    case disabled

    public var description: String {
        switch self {
        case .disabled: "the token's owner is disabled"
        case .unknown: "unknown or revoked token"
        case .expired: "the token has expired; log in again"
        case .roleTooHigh(let role): "a token cannot have more rights than its owner (role '\(role.rawValue)' is too high)"
        }
    }
}

/// A token that was just made: the secret is shown once and never stored.
public struct IssuedAccessToken: Sendable {
    /// `tg_<id>_<secret>`.
    public let token: String
    /// For cookie sessions: what the browser must echo in `X-CSRF-Token`.
    public let csrf: String?
    public let record: AccessTokenRecord
}

extension IdentityService {
    /// How long a browser session lasts.
    public static let sessionSeconds: Int64 = 8 * 3600

    /// Opens a session for a user who logged in. `mfaPending` sessions may only enrol a second factor.
    public func openSession(for user: UserRecord, mfaPending: Bool, remote: String?) async throws -> IssuedAccessToken {
        let csrf = RandomSecret.make(count: 32)
        let issued = try await self.issue(
            kind: .session, user: user, role: user.role, name: "session", seconds: Self.sessionSeconds, csrf: csrf, mfaPending: mfaPending)
        return IssuedAccessToken(token: issued.token, csrf: csrf, record: issued.record)
    }

    /// Makes an API token for `principal`'s user, with `role` no higher than theirs.
    public func createAPIToken(for principal: Principal, name: String, role: Role?, seconds: Int64) async throws -> IssuedAccessToken {
        guard let user = self.state.withLock({ $0.users[Self.userKey(principal.subject)] }) else {
            throw UserError.unknown(principal.subject)
        }
        let role = role ?? user.role
        guard role != .device, AccessTokenRules.role(role, isWithin: user.role) else {
            throw AccessTokenFailure.roleTooHigh(role)
        }
        let issued = try await self.issue(kind: .api, user: user, role: role, name: name, seconds: seconds, csrf: nil, mfaPending: false)
        try await self.audit.record(
            tenant: user.tenant, actor: user.name, action: "token.create", target: issued.record.id, outcome: "success",
            detail: "API token '\(name)', role \(role.rawValue), until \(RFC3339.format(issued.record.expiresAt))")
        return issued
    }

    private func issue(
        kind: AccessTokenRecord.Kind, user: UserRecord, role: Role, name: String, seconds: Int64, csrf: String?, mfaPending: Bool
    ) async throws -> IssuedAccessToken {
        let id = RandomSecret.make(count: 12)
        let secret = RandomSecret.make(count: 32)
        let now = WallClock.nowNanoseconds()
        let record = AccessTokenRecord(
            id: id, kind: kind, secretHash: Hex.sha256(Array(secret.utf8)), tenant: user.tenant, user: user.name, role: role, name: name,
            createdAt: now, expiresAt: now + seconds * 1_000_000_000, csrfHash: csrf.map { Hex.sha256(Array($0.utf8)) },
            mfaPending: mfaPending)
        try await self.store.saveAccessToken(record)
        self.state.withLock { $0.accessTokens[id] = record }
        return IssuedAccessToken(token: "tg_\(id)_\(secret)", csrf: csrf, record: record)
    }

    /// Checks a bearer token or session cookie.
    public func authenticateToken(_ text: String) -> Result<AccessTokenRecord, AccessTokenFailure> {
        let parts = text.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "tg",
            let record = self.state.withLock({ $0.accessTokens[String(parts[1])] }),
            ConstantTime.equal(Array(record.secretHash.utf8), Array(Hex.sha256(Array(parts[2].utf8)).utf8))
        else { return .failure(.unknown) }
        guard record.expiresAt > WallClock.nowNanoseconds() else { return .failure(.expired) }
        // A token is worth what its owner is worth now: a deleted user's tokens are dead, and a token whose
        // role grants more than the owner's current role (the owner was demoted) is refused.
        guard let owner = self.user(named: record.user), owner.tenant == record.tenant else { return .failure(.unknown) }
        guard owner.disabled != true else { return .failure(.disabled) }
        guard AccessTokenRules.role(record.role, isWithin: owner.role) else { return .failure(.roleTooHigh(record.role)) }
        return .success(record)
    }

    /// Whether `csrf` is the CSRF token of `session`.
    public func csrfMatches(_ csrf: String, session: AccessTokenRecord) -> Bool {
        guard let expected = session.csrfHash else { return false }
        return ConstantTime.equal(Array(expected.utf8), Array(Hex.sha256(Array(csrf.utf8)).utf8))
    }

    /// Ends a session or revokes an API token: the principal's own, any of its tenant for an administrator, any
    /// at all for the local administrator.
    /// - Returns: false when there is no such token that the principal may revoke.
    public func revokeToken(id: String, by principal: Principal) async throws -> Bool {
        guard let record = self.state.withLock({ $0.accessTokens[id] }),
            principal.administersAllTenants || (record.user == principal.subject && record.tenant == principal.tenant)
                || (principal.role.allows(.administer) && principal.sites == nil && record.tenant == principal.tenant)
        else { return false }
        let actor = principal.subject
        try await self.store.deleteAccessToken(id: id)
        self.state.withLock { $0.accessTokens[id] = nil }
        if record.kind == .api || actor != record.user {
            try await self.audit.record(
                tenant: record.tenant, actor: actor, action: "token.revoke", target: id, outcome: "success", detail: record.name)
        }
        return true
    }

    /// The principal a token acts as: its role, and its user's sites.
    public func principal(of token: AccessTokenRecord) -> Principal {
        Principal(
            tenant: token.tenant, role: token.role, subject: token.user, sites: self.user(named: token.user)?.sites.map(Set.init))
    }

    /// The user behind a principal, if it is one.
    public func user(named name: String) -> UserRecord? {
        self.state.withLock { $0.users[Self.userKey(name)] }
    }
}

// MARK: - First administrator

extension IdentityService {
    /// While no user exists, makes the one-time token that creates the first administrator (valid 24 h,
    /// kept only in memory: a restart makes a new one). `nil` once a user exists.
    public func prepareFirstAdminSetup() -> String? {
        self.state.withLock { state in
            guard state.users.isEmpty else { return nil }
            let token = RandomSecret.make(count: 32)
            state.setup = (Hex.sha256(Array(token.utf8)), WallClock.nowNanoseconds() + 86_400 * 1_000_000_000)
            return token
        }
    }

    /// Creates the first administrator with the setup token; the token then stops working.
    ///
    /// The token is taken out of the state in the same critical section that checks it, so that of many
    /// concurrent requests with it exactly one proceeds; it is put back only when that one fails for a reason
    /// the caller can correct (a refused name or password) and still no user exists.
    public func completeFirstAdminSetup(token: String, name: String, password: String, remote: String?) async throws -> UserRecord {
        let claimed = self.state.withLock { state -> (hash: String, expiresAt: Int64)? in
            guard let setup = state.setup, state.users.isEmpty, setup.expiresAt > WallClock.nowNanoseconds(),
                ConstantTime.equal(Array(setup.hash.utf8), Array(Hex.sha256(Array(token.utf8)).utf8))
            else { return nil }
            state.setup = nil
            return setup
        }
        guard let claimed else {
            await self.recordDenial(
                tenant: .default, actor: Self.sourceAddress(remote) ?? "unknown", action: "setup.admin", target: String(name.prefix(64)),
                detail: "wrong, used or expired setup token")
            throw SetupError.refused
        }
        do {
            return try await self.addUser(name: name, tenant: .default, role: .admin, password: password, actor: "setup")
        } catch {
            self.state.withLock { state in
                if state.users.isEmpty && state.setup == nil { state.setup = claimed }
            }
            throw error
        }
    }
}

/// Why the first-admin setup was refused.
public enum SetupError: Error, CustomStringConvertible {
    case refused

    public var description: String { "the setup token is wrong, was used, or has expired (restart the server for a new one while no user exists)" }
}

// MARK: - TOTP (RFC 6238)

extension IdentityService {
    /// Starts TOTP enrolment: a new secret, returned as base32 and as an `otpauth://` URL for authenticator
    /// apps. It takes effect once confirmed with a code.
    public func beginTOTPEnrollment(user name: String) async throws -> (base32: String, url: String) {
        guard var user = self.user(named: name) else { throw UserError.unknown(name) }
        let secret = RandomSecret.make(count: 20)
        user.pendingTOTPSecret = secret
        try await self.persist(user)
        let url = TimeBasedOneTimePassword(secret: secret).authenticatorURL(label: "TwinGuard:\(name)", issuer: "TwinGuard")
        return (Base32.encode(Array(secret.utf8)), url)
    }

    /// Confirms TOTP enrolment with a current code.
    public func confirmTOTP(user name: String, code: String) async throws -> Bool {
        guard var user = self.user(named: name), let pending = user.pendingTOTPSecret else { throw UserError.unknown(name) }
        guard Self.totpMatches(secret: pending, code: code) else {
            try await self.audit.record(tenant: user.tenant, actor: name, action: "user.mfa.enroll", target: name, outcome: "failure", detail: "wrong code")
            return false
        }
        user.totpSecret = pending
        user.pendingTOTPSecret = nil
        try await self.persist(user)
        try await self.audit.record(tenant: user.tenant, actor: name, action: "user.mfa.enroll", target: name, outcome: "success", detail: "TOTP")
        return true
    }
}

/// RFC 4648 base32 without padding, as authenticator apps and `oathtool -b` read secrets.
enum Base32 {
    static func encode(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var output = ""
        var buffer = 0
        var bits = 0
        for byte in bytes {
            buffer = buffer << 8 | Int(byte)
            bits += 8
            while bits >= 5 {
                output.append(alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
        }
        if bits > 0 { output.append(alphabet[(buffer << (5 - bits)) & 31]) }
        return output
    }
}
