import Crypto
import Foundation
import HummingbirdBcrypt
import Logging
import Synchronization
import TwinGuardCore

/// Why a login failed. Wrong name and wrong password are deliberately one case.
public enum LoginFailure: Error, Equatable, CustomStringConvertible {
    case badCredentials
    case locked(until: Int64)
    case mfaRequired
    case badTOTP
    case reusedTOTP
    case tooManyFromSource
    case disabled

    public var description: String {
        switch self {
        case .badCredentials: "wrong user name or password"
        case .locked(let until): "too many failed logins from this address: locked out from it until \(RFC3339.format(until))"
        case .mfaRequired: "this account needs a one-time code (TOTP) as well"
        case .badTOTP: "the one-time code is wrong"
        case .reusedTOTP: "the one-time code was used already; wait for the next one"
        case .tooManyFromSource: "too many failed logins from this address; try again in a minute"
        case .disabled: "the account is disabled; an administrator can enable it"
        }
    }

    /// Failures compare by kind (two lockouts are equal whatever their end).
    public static func == (lhs: LoginFailure, rhs: LoginFailure) -> Bool {
        switch (lhs, rhs) {
        case (.badCredentials, .badCredentials), (.locked, .locked), (.mfaRequired, .mfaRequired), (.badTOTP, .badTOTP),
            (.reusedTOTP, .reusedTOTP), (.tooManyFromSource, .tooManyFromSource), (.disabled, .disabled):
            true
        default: false
        }
    }
}

/// Why a password or user was refused.
public enum UserError: Error, Equatable, CustomStringConvertible {
    case invalidName
    case reservedName(String)
    case invalidSites
    case passwordTooShort(minimum: Int)
    case commonPassword
    case exists(String)
    case unknown(String)

    public var description: String {
        switch self {
        case .invalidName: "a user name is 1–64 characters of letters, digits, '.', '_', '-' or '@'"
        case .reservedName(let name): "'\(name)' is reserved for a built-in principal; choose another user name"
        case .invalidSites: "sites are a non-empty list of site names (1–128 characters each)"
        case .passwordTooShort(let minimum): "the password must have at least \(minimum) characters"
        case .commonPassword: "the password is in the list of commonly used passwords; choose another"
        case .exists(let name): "user '\(name)' already exists"
        case .unknown(let name): "no user '\(name)'"
        }
    }
}

extension IdentityService {
    /// The shortest password accepted.
    public static let minimumPasswordLength = 12
    /// Whether `name` is locked out from some address now.
    public func isLockedOut(_ name: String) -> Bool {
        self.lockouts.isLockedAnywhere(user: name, now: WallClock.nowNanoseconds())
    }

    /// Whether a user with this name exists.
    public func hasUser(_ name: String) -> Bool {
        self.state.withLock { $0.users[Self.userKey(name)] != nil }
    }

    /// Every user, for administration.
    public func users() -> [UserRecord] {
        self.state.withLock { Array($0.users.values) }.sorted { $0.name < $1.name }
    }

    /// Checks a new password against the length rule and the shipped list of common passwords.
    public static func checkPassword(_ password: String) throws {
        guard password.count >= Self.minimumPasswordLength else { throw UserError.passwordTooShort(minimum: Self.minimumPasswordLength) }
        if CommonPasswords.contains(password) { throw UserError.commonPassword }
    }

    /// Creates a user (bcrypt-hashed password).
    /// - Parameter sites: the sites the user is limited to (twins tagged `site`); `nil` for the whole tenant.
    public func addUser(
        name: String, tenant: TenantID, role: Role, password: String, actor: String, sites: [String]? = nil
    ) async throws -> UserRecord {
        guard !name.isEmpty, name.utf8.count <= 64,
            name.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) || "._-@".unicodeScalars.contains($0) }),
            role != .device
        else { throw UserError.invalidName }
        // The built-in principals' names: a user called 'local-admin' must not even look like the local administrator.
        guard !Principal.reservedNames.contains(name.lowercased()) else {
            self.auditDenial(tenant: tenant, actor: actor, action: "user.create", target: String(name.prefix(64)), detail: "reserved name")
            throw UserError.reservedName(name)
        }
        guard !self.hasUser(name) else { throw UserError.exists(name) }
        try Self.checkPassword(password)
        var user = UserRecord(
            name: name, tenant: tenant, role: role, passwordHash: Bcrypt.hash(password, cost: 11), createdAt: WallClock.nowNanoseconds())
        if let sites {
            guard !sites.isEmpty, sites.allSatisfy({ !$0.isEmpty && $0.count <= 128 }) else { throw UserError.invalidSites }
            user.sites = sites
        }
        try await self.persist(user)
        try await self.audit.record(
            tenant: tenant, actor: actor, action: "user.create", target: name, outcome: "success",
            detail: "role \(role.rawValue)" + (sites.map { ", sites \($0.joined(separator: ", "))" } ?? ""))
        return user
    }

    /// Failed logins from one address within a minute after which that address is refused for the rest of it.
    public static let sourceFailureLimit = 20

    /// Checks a login. Failures count towards a lockout of the account and a limit per source address;
    /// every outcome is audited.
    /// - Parameter totp: the one-time code, required for users with MFA enrolled.
    /// - Parameter interactive: a login that opens a session: its one-time code may be used only once.
    ///   (HTTP Basic sends the same code with every request of its 30 s window.)
    /// - Parameter auditSuccess: whether a success goes to the audit log (not for HTTP Basic, which logs in on
    ///   every request; its failures always do).
    public func login(
        name: String, password: String, totp: String?, remote: String?, channel: String, interactive: Bool = false,
        auditSuccess: Bool = true
    ) async -> Result<UserRecord, LoginFailure> {
        guard self.sourceMayTry(remote, channel: channel) else { return .failure(.tooManyFromSource) }
        let result = await self.checkLogin(name: name, password: password, totp: totp, remote: remote, channel: channel, interactive: interactive, auditSuccess: auditSuccess)
        if let source = Self.sourceAddress(remote), case .failure(let failure) = result, failure != .mfaRequired {
            self.loginSources.noteFailure(source)
        }
        return result
    }

    /// The per-address gate in front of every user password check: an address over its limit is refused
    /// (audited, coalesced) before any password is looked at.
    private func sourceMayTry(_ remote: String?, channel: String) -> Bool {
        guard let source = Self.sourceAddress(remote), !self.loginSources.allows(source) else { return true }
        self.auditDenial(tenant: .default, actor: source, action: "user.login", target: channel, detail: LoginFailure.tooManyFromSource.description)
        return false
    }

    private func checkLogin(
        name: String, password: String, totp: String?, remote: String?, channel: String, interactive: Bool, auditSuccess: Bool
    ) async -> Result<UserRecord, LoginFailure> {
        guard var user = self.state.withLock({ $0.users[Self.userKey(name)] }) else {
            self.spendDecoyLogin(name: name, password: password, remote: remote, channel: channel)
            return .failure(.badCredentials)
        }
        let now = WallClock.nowNanoseconds()
        let source = Self.sourceAddress(remote) ?? "unknown"
        if let until = self.lockouts.lockedUntil(user: user.name, source: source, now: now) {
            // The password is not even checked: a locked-out source learns nothing more.
            _ = Bcrypt.verify(password, hash: Self.decoyHash)
            self.auditDenial(
                tenant: user.tenant, actor: user.name, action: "user.login", target: channel,
                detail: "locked out from \(source) until \(RFC3339.format(until))")
            return .failure(.locked(until: until))
        }
        let failure: LoginFailure?
        if !self.verifyPassword(password, user: user) {
            failure = .badCredentials
        } else if user.disabled == true {
            failure = .disabled
        } else if let secret = user.totpSecret {
            if let totp, let step = Self.totpStep(secret: secret, code: totp) {
                failure = interactive && !self.useTOTPStep(step, user: user.name) ? .reusedTOTP : nil
            } else if let totp, interactive, await self.useRecoveryCode(totp, user: &user) {
                failure = nil
            } else {
                failure = totp == nil ? .mfaRequired : .badTOTP
            }
        } else {
            failure = nil
        }
        if let failure {
            var lockout: Int64?
            if failure != .mfaRequired && failure != .disabled {
                lockout = self.lockouts.noteFailure(user: user.name, source: source, now: now)
            }
            await self.recordLogin(
                tenant: user.tenant, name: name, outcome: "failure",
                detail: failure.description + (lockout.map { "; locked out from \(source) until \(RFC3339.format($0))" } ?? ""),
                remote: remote, channel: channel)
            return .failure(failure)
        }
        self.lockouts.noteSuccess(user: user.name, source: source)
        if user.failedLogins != 0 || user.lockedUntil != nil {
            // Account-wide lockouts of earlier versions are lifted by the first success.
            user.failedLogins = 0
            user.lockedUntil = nil
            await self.saveQuietly(user)
        }
        if auditSuccess {
            await self.recordLogin(
                tenant: user.tenant, name: name, outcome: "success", detail: user.totpSecret == nil ? "password" : "password + TOTP",
                remote: remote, channel: channel)
        }
        return .success(user)
    }

    private func verifyPassword(_ password: String, user: UserRecord) -> Bool {
        self.verifyCached(password, hash: user.passwordHash, now: WallClock.nowNanoseconds())
    }

    /// bcrypt verification, remembered (as a hash of hash and password) for a minute when it succeeds.
    func verifyCached(_ password: String, hash passwordHash: String, now: Int64) -> Bool {
        let key = Hex.sha256(Array((passwordHash + "\u{0}" + password).utf8))
        if let until = self.state.withLock({ $0.verifiedPasswords[key] }), until > now { return true }
        guard Bcrypt.verify(password, hash: passwordHash) else { return false }
        // bcrypt is slow on purpose; a verified password is remembered (as a hash) for a minute so that HTTP
        // Basic clients are not slowed to a crawl.
        self.state.withLock { state in
            if state.verifiedPasswords.count > 10_000 { state.verifiedPasswords.removeAll() }
            state.verifiedPasswords[key] = now + 60_000_000_000
        }
        return true
    }

    static func totpMatches(secret: String, code: String, now: Date = Date()) -> Bool {
        self.totpStep(secret: secret, code: code, now: now) != nil
    }

    /// The 30-second time step `code` belongs to, accepting one step either side for clock drift
    /// (RFC 6238 §5.2); `nil` when it matches none.
    static func totpStep(secret: String, code: String, now: Date = Date()) -> Int64? {
        guard let value = Int(code.trimmingCharacters(in: .whitespaces)), code.count == 6 else { return nil }
        for offset in [-1, 0, 1] where Self.totpCode(secret: secret, at: now.addingTimeInterval(Double(offset) * 30)) == value {
            return Int64(now.timeIntervalSince1970 / 30) + Int64(offset)
        }
        return nil
    }

    /// The RFC 6238 code of `secret` at `date` (six digits, as a number).
    static func totpCode(secret: String, at date: Date) -> Int {
        TimeBasedOneTimePassword(secret: secret).code(at: date)
    }

    /// Records that `user` logged in with the code of `step`; `false` when that step (or a later one) was
    /// used already (RFC 6238 §5.2: a code is accepted once).
    private func useTOTPStep(_ step: Int64, user: String) -> Bool {
        self.state.withLock { state in
            let key = Self.userKey(user)
            if let last = state.lastTOTPSteps[key], last >= step { return false }
            state.lastTOTPSteps[key] = step
            return true
        }
    }

    /// The host part of a remote address description (`[IPv4]127.0.0.1/127.0.0.1:46528` → `127.0.0.1`).
    static func sourceAddress(_ remote: String?) -> String? {
        guard var text = remote else { return nil }
        if let slash = text.lastIndex(of: "/") { text = String(text[text.index(after: slash)...]) }
        if let colon = text.lastIndex(of: ":") { text = String(text[..<colon]) }
        return text.isEmpty ? nil : text
    }

    /// Stores a user and keeps the in-memory copy the same.
    func persist(_ user: UserRecord) async throws {
        try await self.store.saveUser(user)
        self.state.withLock { $0.users[Self.userKey(user.name)] = user }
    }

    private func saveQuietly(_ user: UserRecord) async {
        self.state.withLock { $0.users[Self.userKey(user.name)] = user }
        do { try await self.store.saveUser(user) } catch { self.logger.error("user not saved", metadata: ["error": "\(error)"]) }
    }

    private func recordLogin(tenant: TenantID, name: String, outcome: String, detail: String, remote: String?, channel: String) async {
        do {
            try await self.audit.record(
                tenant: tenant, actor: name, action: "user.login", target: channel, outcome: outcome,
                detail: detail + (remote.map { " from \($0)" } ?? ""))
        } catch {
            self.logger.error("audit entry not written", metadata: ["error": "\(error)"])
        }
    }

    /// Refuses credentials that name no user and no other kind of account (over HTTP Basic or MQTT), at the
    /// cost of a real login: a bcrypt verification, the per-source failure count and a (coalesced) audit entry.
    /// So a wrong name takes as long as a wrong password and cannot be tried faster (issue 14 §8).
    public func refuseUnknownUser(name: String, password: String, remote: String?, channel: String) {
        guard self.sourceMayTry(remote, channel: channel) else {
            _ = Bcrypt.verify(password, hash: Self.decoyHash)
            return
        }
        self.spendDecoyLogin(name: name, password: password, remote: remote, channel: channel)
        if let source = Self.sourceAddress(remote) { self.loginSources.noteFailure(source) }
    }

    private func spendDecoyLogin(name: String, password: String, remote: String?, channel: String) {
        _ = Bcrypt.verify(password, hash: Self.decoyHash)
        // Coalesced per source: a flood of invented names is one entry per 10 s, with its count.
        self.auditDenial(
            tenant: .default, actor: Self.sourceAddress(remote) ?? "unknown", action: "user.login", target: channel,
            detail: "unknown user '\(name.prefix(64))'")
    }

    /// A bcrypt hash to verify against for unknown users, so that timing does not tell which names exist.
    static let decoyHash = Bcrypt.hash("decoy password for unknown users", cost: 11)
}
