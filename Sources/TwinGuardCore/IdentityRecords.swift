/// A one-time enrollment token as stored: only a hash of its secret is kept.
public struct EnrollmentTokenRecord: Codable, Sendable, Equatable {
    /// The public part of the token, its key in the store.
    public var id: String
    public var tenant: TenantID
    /// The twin the enrolled certificate will speak for.
    public var twin: String
    /// Hex SHA-256 of the secret part.
    public var secretHash: String
    /// ns since the epoch.
    public var createdAt: Int64
    public var expiresAt: Int64
    /// Set once the token was used; a used token never works again.
    public var usedAt: Int64?
    /// Who created it (for the audit trail).
    public var createdBy: String

    public init(
        id: String, tenant: TenantID, twin: String, secretHash: String, createdAt: Int64, expiresAt: Int64, usedAt: Int64? = nil,
        createdBy: String
    ) {
        self.id = id
        self.tenant = tenant
        self.twin = twin
        self.secretHash = secretHash
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.usedAt = usedAt
        self.createdBy = createdBy
    }
}

/// A device certificate the CA issued, and whether it was revoked.
public struct DeviceCertificateRecord: Codable, Sendable, Equatable {
    /// The serial number, lowercase hex without separators.
    public var serial: String
    public var tenant: TenantID
    public var twin: String
    /// ns since the epoch.
    public var notBefore: Int64
    public var notAfter: Int64
    public var revokedAt: Int64?
    public var revocationReason: String?

    public init(
        serial: String, tenant: TenantID, twin: String, notBefore: Int64, notAfter: Int64, revokedAt: Int64? = nil,
        revocationReason: String? = nil
    ) {
        self.serial = serial
        self.tenant = tenant
        self.twin = twin
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.revokedAt = revokedAt
        self.revocationReason = revocationReason
    }
}

/// A user account. The password is kept only as a bcrypt hash.
public struct UserRecord: Codable, Sendable, Equatable {
    public var name: String
    public var tenant: TenantID
    public var role: Role
    public var passwordHash: String
    /// The TOTP secret once MFA is enrolled.
    public var totpSecret: String?
    /// A TOTP secret handed out and not yet confirmed with a code.
    public var pendingTOTPSecret: String?
    /// The sites the user is limited to (twins tagged `site`), `nil` for the whole tenant.
    public var sites: [String]?
    /// Consecutive failed logins; reset by a success.
    public var failedLogins: Int
    /// ns since the epoch until which logins are refused.
    public var lockedUntil: Int64?
    public var createdAt: Int64
    /// A disabled user cannot log in, and its sessions and tokens stop working. Absent means enabled.
    public var disabled: Bool?
    /// Hex SHA-256 of the unused one-time recovery codes (a lost authenticator is not a locked-out admin).
    public var recoveryCodes: [String]?

    public init(
        name: String, tenant: TenantID, role: Role, passwordHash: String, totpSecret: String? = nil, failedLogins: Int = 0,
        lockedUntil: Int64? = nil, createdAt: Int64
    ) {
        self.name = name
        self.tenant = tenant
        self.role = role
        self.passwordHash = passwordHash
        self.totpSecret = totpSecret
        self.failedLogins = failedLogins
        self.lockedUntil = lockedUntil
        self.createdAt = createdAt
    }
}

extension UserRecord {
    /// The principal the user acts as.
    public var principal: Principal {
        Principal(tenant: self.tenant, role: self.role, subject: self.name, sites: self.sites.map(Set.init))
    }
}

/// A bearer credential: a browser session (after a login) or an API token for automation.
/// Only a hash of the secret is kept.
public struct AccessTokenRecord: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        case session
        case api
    }

    /// The public part of the token, its key in the store.
    public var id: String
    public var kind: Kind
    /// Hex SHA-256 of the secret part.
    public var secretHash: String
    public var tenant: TenantID
    /// The user it acts for.
    public var user: String
    /// The role it acts with: the user's, or a lesser one chosen when an API token is made.
    public var role: Role
    /// A name the owner chose (API tokens).
    public var name: String
    public var createdAt: Int64
    public var expiresAt: Int64
    /// Hex SHA-256 of the CSRF token that cookie-borne sessions must echo in `X-CSRF-Token`.
    public var csrfHash: String?
    /// A session of a user who must still enrol or present a second factor: only the MFA routes are open.
    public var mfaPending: Bool

    public init(
        id: String, kind: Kind, secretHash: String, tenant: TenantID, user: String, role: Role, name: String, createdAt: Int64,
        expiresAt: Int64, csrfHash: String? = nil, mfaPending: Bool = false
    ) {
        self.id = id
        self.kind = kind
        self.secretHash = secretHash
        self.tenant = tenant
        self.user = user
        self.role = role
        self.name = name
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.csrfHash = csrfHash
        self.mfaPending = mfaPending
    }
}

/// One entry of the hash-chained audit log.
public struct AuditEntry: Codable, Sendable, Equatable {
    /// 1, 2, 3, … without gaps.
    public var sequence: Int64
    /// ns since the epoch.
    public var time: Int64
    public var tenant: TenantID
    /// Who acted: a user, a twin, `cli`, `system`.
    public var actor: String
    /// What was attempted, such as `device.enroll` or `mqtt.publish`.
    public var action: String
    /// What it was done to.
    public var target: String
    /// `allow`, `deny` or `success`, `failure`.
    public var outcome: String
    public var detail: String
    /// Hex SHA-256 of the previous entry (64 zeros for the first).
    public var previousHash: String
    /// Hex SHA-256 of this entry's content and `previousHash`.
    public var hash: String

    public init(
        sequence: Int64, time: Int64, tenant: TenantID, actor: String, action: String, target: String, outcome: String,
        detail: String, previousHash: String, hash: String
    ) {
        self.sequence = sequence
        self.time = time
        self.tenant = tenant
        self.actor = actor
        self.action = action
        self.target = target
        self.outcome = outcome
        self.detail = detail
        self.previousHash = previousHash
        self.hash = hash
    }
}

/// Where identities, credentials and the audit log are kept; SQLite implements it.
public protocol IdentityStore: Sendable {
    func saveEnrollmentToken(_ token: EnrollmentTokenRecord) async throws
    func enrollmentToken(id: String) async throws -> EnrollmentTokenRecord?
    /// Marks a token used, atomically: `false` when it had been used already.
    func consumeEnrollmentToken(id: String, at time: Int64) async throws -> Bool

    func saveCertificate(_ certificate: DeviceCertificateRecord) async throws
    func loadCertificates() async throws -> [DeviceCertificateRecord]

    func saveUser(_ user: UserRecord) async throws
    func loadUsers() async throws -> [UserRecord]
    func deleteUser(name: String) async throws

    func saveAccessToken(_ token: AccessTokenRecord) async throws
    func deleteAccessToken(id: String) async throws
    func loadAccessTokens() async throws -> [AccessTokenRecord]

    /// Appends the entry `make` builds from the current last entry (`nil` for the first), in one
    /// transaction: concurrent appends are serialised, so the chain never forks.
    func appendAudit(_ make: @escaping @Sendable (AuditEntry?) -> AuditEntry) async throws -> AuditEntry
    /// Identity settings kept as JSON documents by key: policy documents and posture policy per tenant,
    /// each device's trust record.
    func saveSetting(key: String, document: [UInt8]) async throws
    func loadSettings(prefix: String) async throws -> [(key: String, document: [UInt8])]

    /// Entries with a sequence above `after`, in sequence order; only `tenant`'s when it is given.
    func auditEntries(after: Int64, limit: Int, tenant: TenantID?) async throws -> [AuditEntry]
    /// The last entry, if any.
    func lastAuditEntry() async throws -> AuditEntry?
}
