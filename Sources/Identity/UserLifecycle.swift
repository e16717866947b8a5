import Crypto
import Foundation
import HummingbirdBcrypt
import Logging
import Synchronization
import TwinGuardCore

/// Why a change to a user was refused.
public enum UserChangeError: Error, Equatable, CustomStringConvertible {
    case unknown(String)
    case otherTenant(String)
    case notOnYourself(String)
    case wrongPassword

    public var description: String {
        switch self {
        case .unknown(let name): "no user '\(name)'"
        case .otherTenant(let name): "user '\(name)' is in another tenant"
        case .notOnYourself(let what): "you cannot \(what) yourself: ask another administrator"
        case .wrongPassword: "the current password is wrong"
        }
    }
}

/// What an administrator meets in the first week: roles change, people leave, phones get lost. Every change
/// is audited, and taking rights away takes effect at once: the user's sessions and API tokens are revoked
/// and its MQTT connections closed.
extension IdentityService {
    /// How many one-time recovery codes a user gets with a second factor.
    public static let recoveryCodeCount = 10

    /// The user `name` as `actor` may administer it: in its own tenant, or any for the local administrator.
    private func administered(_ name: String, by actor: Principal) throws -> UserRecord {
        guard let user = self.user(named: name) else { throw UserChangeError.unknown(name) }
        guard actor.administersAllTenants || user.tenant == actor.tenant else {
            // As if it did not exist: a tenant's administrator learns nothing of other tenants' users.
            throw UserChangeError.unknown(name)
        }
        return user
    }

    /// Changes a user's role, sites or whether it is disabled.
    /// - Parameter sites: `.some(nil)` lifts a site limit, `.some([…])` sets one, `nil` leaves it.
    public func updateUser(
        name: String, by actor: Principal, role: Role?, disabled: Bool?, sites: [String]??
    ) async throws -> UserRecord {
        var user = try self.administered(name, by: actor)
        let isSelf = actor.kind == .tenantMember && Self.userKey(actor.subject) == Self.userKey(user.name)
        var changes: [String] = []
        var cut = false
        if let role, role != user.role {
            guard role != .device else { throw UserError.invalidName }
            guard !isSelf else { throw UserChangeError.notOnYourself("change the role of") }
            changes.append("role \(user.role.rawValue) → \(role.rawValue)")
            // Tokens of the old role stop at once where it granted more (``authenticateToken(_:)`` checks each use).
            cut = !AccessTokenRules.role(user.role, isWithin: role)
            user.role = role
        }
        if let disabled, disabled != (user.disabled ?? false) {
            guard !isSelf else { throw UserChangeError.notOnYourself("disable") }
            changes.append(disabled ? "disabled" : "enabled")
            user.disabled = disabled ? true : nil
            cut = cut || disabled
        }
        if let sites {
            if let list = sites {
                guard !list.isEmpty, list.allSatisfy({ !$0.isEmpty && $0.count <= 128 }) else { throw UserError.invalidSites }
            }
            if sites != user.sites {
                changes.append("sites " + (sites.map { $0.joined(separator: ", ") } ?? "all"))
                user.sites = sites
                cut = true
            }
        }
        guard !changes.isEmpty else { return user }
        try await self.persist(user)
        if cut { await self.cutAccess(of: user) }
        try await self.audit.record(
            tenant: user.tenant, actor: actor.subject, action: "user.update", target: user.name, outcome: "success",
            detail: changes.joined(separator: "; ") + (cut ? "; sessions and tokens revoked" : ""))
        return user
    }

    /// Deletes a user, its sessions and tokens.
    public func deleteUser(name: String, by actor: Principal) async throws {
        let user = try self.administered(name, by: actor)
        guard !(actor.kind == .tenantMember && Self.userKey(actor.subject) == Self.userKey(user.name)) else {
            throw UserChangeError.notOnYourself("delete")
        }
        try await self.store.deleteUser(name: user.name)
        self.state.withLock { $0.users[Self.userKey(user.name)] = nil }
        await self.cutAccess(of: user)
        self.lockouts.clear(user: user.name)
        try await self.audit.record(
            tenant: user.tenant, actor: actor.subject, action: "user.delete", target: user.name, outcome: "success",
            detail: "role \(user.role.rawValue)")
    }

    /// An administrator gives a user a new password; the user's sessions and tokens are revoked.
    public func resetPassword(name: String, password: String, by actor: Principal) async throws {
        var user = try self.administered(name, by: actor)
        try Self.checkPassword(password)
        user.passwordHash = Bcrypt.hash(password, cost: 11)
        user.lockedUntil = nil
        try await self.persist(user)
        self.lockouts.clear(user: user.name)
        await self.cutAccess(of: user)
        try await self.audit.record(
            tenant: user.tenant, actor: actor.subject, action: "user.password.reset", target: user.name, outcome: "success",
            detail: "sessions and tokens revoked")
    }

    /// A user changes its own password, proving the current one; its other sessions and tokens are revoked.
    public func changeOwnPassword(name: String, current: String, new password: String, keeping session: String?) async throws {
        guard var user = self.user(named: name) else { throw UserChangeError.unknown(name) }
        guard Bcrypt.verify(current, hash: user.passwordHash) else {
            self.auditDenial(tenant: user.tenant, actor: name, action: "user.password.change", target: name, detail: "wrong current password")
            throw UserChangeError.wrongPassword
        }
        try Self.checkPassword(password)
        user.passwordHash = Bcrypt.hash(password, cost: 11)
        try await self.persist(user)
        await self.cutAccess(of: user, except: session)
        try await self.audit.record(
            tenant: user.tenant, actor: name, action: "user.password.change", target: name, outcome: "success",
            detail: "other sessions and tokens revoked")
    }

    /// Removes a user's second factor and recovery codes (a lost phone); a role that needs one must enrol
    /// again at the next login. Sessions and tokens are revoked.
    public func resetTOTP(name: String, by actor: Principal) async throws {
        var user = try self.administered(name, by: actor)
        user.totpSecret = nil
        user.pendingTOTPSecret = nil
        user.recoveryCodes = nil
        try await self.persist(user)
        await self.cutAccess(of: user)
        try await self.audit.record(
            tenant: user.tenant, actor: actor.subject, action: "user.mfa.reset", target: user.name, outcome: "success",
            detail: "second factor removed; sessions and tokens revoked")
    }

    /// New one-time recovery codes for a user with a second factor (the old ones stop working). Shown once:
    /// only their hashes are kept.
    public func makeRecoveryCodes(user name: String) async throws -> [String] {
        guard var user = self.user(named: name), user.totpSecret != nil else { throw UserChangeError.unknown(name) }
        let codes = (0..<Self.recoveryCodeCount).map { _ in
            let raw = RandomSecret.make(count: 10).lowercased()
            return String(raw.prefix(5)) + "-" + String(raw.suffix(5))
        }
        user.recoveryCodes = codes.map { Hex.sha256(Array($0.utf8)) }
        try await self.persist(user)
        try await self.audit.record(
            tenant: user.tenant, actor: name, action: "user.mfa.recovery-codes", target: name, outcome: "success",
            detail: "\(codes.count) new recovery codes")
        return codes
    }

    /// Accepts a recovery code in place of a TOTP code, once.
    func useRecoveryCode(_ code: String, user: inout UserRecord) async -> Bool {
        let hash = Hex.sha256(Array(code.trimmingCharacters(in: .whitespaces).lowercased().utf8))
        guard var codes = user.recoveryCodes, let index = codes.firstIndex(where: { ConstantTime.equal(Array($0.utf8), Array(hash.utf8)) })
        else { return false }
        codes.remove(at: index)
        user.recoveryCodes = codes
        do {
            try await self.persist(user)
            try await self.audit.record(
                tenant: user.tenant, actor: user.name, action: "user.mfa.recovery", target: user.name, outcome: "success",
                detail: "logged in with a recovery code; \(codes.count) left")
        } catch {
            return false
        }
        return true
    }

    /// The API tokens and sessions of a user, newest first.
    public func accessTokens(of name: String) -> [AccessTokenRecord] {
        let key = Self.userKey(name)
        return self.state.withLock { state in state.accessTokens.values.filter { Self.userKey($0.user) == key } }
            .sorted { $0.createdAt > $1.createdAt }
    }

    /// Revokes every session and token of `user` (but `except`, the caller's own session) and closes its MQTT
    /// connections.
    func cutAccess(of user: UserRecord, except keep: String? = nil) async {
        let key = Self.userKey(user.name)
        let doomed = self.state.withLock { state in
            state.accessTokens.values.filter { Self.userKey($0.user) == key && $0.id != keep }.map(\.id)
        }
        for id in doomed {
            self.state.withLock { _ = $0.accessTokens.removeValue(forKey: id) }
            do { try await self.store.deleteAccessToken(id: id) } catch {
                self.logger.error("token not deleted", metadata: ["error": "\(error)"])
            }
        }
        _ = self.collaborators.withLock { $0.connections }?.disconnectOwner(user.principal.ownerKey)
    }
}

/// The rule that a token never grants more than its owner's role.
enum AccessTokenRules {
    static func role(_ role: Role, isWithin limit: Role) -> Bool {
        Permission.allCases.allSatisfy { !role.allows($0) || limit.allows($0) }
    }
}
