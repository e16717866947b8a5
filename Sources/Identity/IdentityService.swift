import Crypto
import Foundation
import Logging
import Synchronization
import SwiftASN1
import TwinGuardCore
import X509

/// The identity layer's state and operations: the CA, enrollment, certificates and revocation, device
/// trust tiers, policies, users, and the audit log that records every decision.
///
/// Per-message decisions (``IdentityAuthorizer``) read the in-memory state under a mutex; every change
/// is written to the store and the audit log first.
public final class IdentityService: Sendable {
    public let authority: CertificateAuthority
    public let audit: AuditLog
    let store: any IdentityStore
    let logger: Logger
    let state: Mutex<State>
    /// The broker, the twin registry and the event hub (``attach(connections:twins:events:)``).
    let collaborators = Mutex(Collaborators())
    /// Recent behaviour per device (rate limits, violations); apart from `state` so that counting a message
    /// does not wait for other identity work.
    let behaviours = Mutex<[DeviceKey: Behaviour]>([:])
    /// Devices waiting for a re-score (see ``rescoreSoon(_:)``).
    let pendingRescores = Mutex<Set<DeviceKey>>([])
    /// Failed logins per source address.
    let loginSources = SourceFailureCounter(limit: IdentityService.sourceFailureLimit)
    /// Failed logins per (user, source address) and the lockouts they start.
    let lockouts = LoginLockouts()
    /// The checkpoints of the audit chain, outside the database.
    let checkpointFile: AuditCheckpointFile
    /// Keeps per-message denials from flooding the audit log.
    let denials = DenialAuditor()
    /// The per-device message and byte rates.
    public let rateLimits: RateLimits

    /// How long device certificates are valid.
    public let certificateValidity: TimeInterval

    /// A device's topic grants with `{tenant}` and `{twin}` filled in.
    struct CompiledGrants {
        let generation: Int
        /// ns when compiled: group membership (twin tags, model) is looked up again after 10 s.
        let compiledAt: Int64
        let publish: [TopicPattern]
        let subscribe: [TopicPattern]
    }

    /// What identity works with but does not own. Until they are attached, no connection is closed, no event
    /// reported, no twin has a site or groups, and no tenant allows device passwords.
    struct Collaborators {
        var connections: (any ConnectionCloser)?
        var twins: (any TwinDirectory)?
        var events: (any EventSink)?
    }

    struct DeviceKey: Hashable {
        let tenant: TenantID
        let twin: String
    }

    struct State {
        var certificates: [String: DeviceCertificateRecord] = [:]
        /// The serials issued to each device, so that a device's certificates are found without a scan.
        var serialsByDevice: [DeviceKey: [String]] = [:]
        var revokedSerials: Set<String> = []
        var trust: [DeviceKey: DeviceTrustRecord] = [:]
        var posturePolicies: [TenantID: PosturePolicy] = [:]
        /// Policy documents per tenant, besides the built-in ``PolicyDocument/deviceDefault``.
        var policies: [TenantID: [PolicyDocument]] = [:]
        /// Bumped by every policy change; compiled grants of an older generation are recompiled.
        var policyGeneration = 0
        var compiledGrants: [DeviceKey: CompiledGrants] = [:]
        /// Attestation nonces issued per device: nonce (hex) → ns when it expires.
        var nonces: [DeviceKey: [String: Int64]] = [:]
        /// bcrypt hashes of device passwords (tenants that allow them only).
        var devicePasswords: [DeviceKey: String] = [:]
        var users: [String: UserRecord] = [:]
        /// The TOTP time step each user last logged in with (interactive logins).
        var lastTOTPSteps: [String: Int64] = [:]
        /// Hash of (bcrypt hash, password) → ns until which it counts as verified.
        var verifiedPasswords: [String: Int64] = [:]
        var crl: [UInt8] = []
        var accessTokens: [String: AccessTokenRecord] = [:]
        /// Hex SHA-256 of the one-time first-admin setup token and when it expires, while no user exists.
        var setup: (hash: String, expiresAt: Int64)?

        /// Adds or replaces a certificate record.
        mutating func record(_ certificate: DeviceCertificateRecord) {
            if self.certificates.updateValue(certificate, forKey: certificate.serial) == nil {
                self.serialsByDevice[DeviceKey(tenant: certificate.tenant, twin: certificate.twin), default: []].append(certificate.serial)
            }
            if certificate.revokedAt != nil { self.revokedSerials.insert(certificate.serial) }
        }

        /// The CRL of the revoked certificates, numbered by how many there are.
        func revocationList(_ authority: CertificateAuthority) throws -> [UInt8] {
            let revoked = self.revokedSerials.sorted().compactMap { self.certificates[$0] }
            return try RevocationList.encode(revoked: revoked, authority: authority, number: revoked.count + 1)
        }
    }

    /// Loads the CA (creating it on first start) and the stored identities.
    /// - Parameter pkiDirectory: where `ca.key` and `ca.crt` live (`DATA/pki`).
    /// - Parameter certificateValidity: how long device certificates are valid (30 days by default).
    /// - Parameter checkpointPath: the audit checkpoint file (default: `audit-checkpoints.jsonl` beside the
    ///   PKI directory, in the data dir).
    public init(
        pkiDirectory: String, store: any IdentityStore, certificateValidity: TimeInterval = 30 * 86_400,
        rateLimits: RateLimits = RateLimits(), checkpointPath: String? = nil, logger: Logger
    ) async throws {
        self.checkpointFile = AuditCheckpointFile(
            path: checkpointPath ?? ((pkiDirectory as NSString).deletingLastPathComponent + "/audit-checkpoints.jsonl"))
        self.certificateValidity = certificateValidity
        self.rateLimits = rateLimits
        let (authority, created) = try CertificateAuthority.loadOrCreate(directory: pkiDirectory)
        self.authority = authority
        self.store = store
        self.logger = logger
        self.audit = AuditLog(store: store)
        var state = State()
        for certificate in try await store.loadCertificates() { state.record(certificate) }
        for user in try await store.loadUsers() { state.users[Self.userKey(user.name)] = user }
        let decoder = JSONDecoder()
        for (key, document) in try await store.loadSettings(prefix: "trust/") {
            let parts = key.split(separator: "/", maxSplits: 2)
            guard parts.count == 3, let record = try? decoder.decode(DeviceTrustRecord.self, from: Data(document)) else { continue }
            state.trust[DeviceKey(tenant: TenantID(unchecked: String(parts[1])), twin: String(parts[2]))] = record
        }
        for (key, document) in try await store.loadSettings(prefix: "devicepw/") {
            let parts = key.split(separator: "/", maxSplits: 2)
            guard parts.count == 3 else { continue }
            state.devicePasswords[DeviceKey(tenant: TenantID(unchecked: String(parts[1])), twin: String(parts[2]))] =
                String(decoding: document, as: UTF8.self)
        }
        for (key, document) in try await store.loadSettings(prefix: "posture/") {
            guard let policy = try? decoder.decode(PosturePolicy.self, from: Data(document)) else { continue }
            state.posturePolicies[TenantID(unchecked: String(key.dropFirst("posture/".count)))] = policy
        }
        for (key, document) in try await store.loadSettings(prefix: "policies/") {
            guard let policies = try? decoder.decode([PolicyDocument].self, from: Data(document)) else { continue }
            state.policies[TenantID(unchecked: String(key.dropFirst("policies/".count)))] = policies
        }
        let now = WallClock.nowNanoseconds()
        for token in try await store.loadAccessTokens() where token.expiresAt > now { state.accessTokens[token.id] = token }
        state.crl = try state.revocationList(authority)
        self.state = Mutex(state)
        if created {
            logger.notice("device CA created", metadata: ["pki.fingerprint": "\(authority.fingerprint)", "pki.directory": "\(pkiDirectory)"])
            try await self.audit.record(
                tenant: .default, actor: "system", action: "pki.ca.create", target: "device CA", outcome: "success",
                detail: "sha256 \(authority.fingerprint)")
        }
    }

    /// Attaches the broker (to close connections), the twin registry (sites, policy groups, device password
    /// settings) and the event hub. The composition root calls it once, after making them: the broker needs
    /// identity first, as it authorizes every connection through it.
    public func attach(connections: any ConnectionCloser, twins: any TwinDirectory, events: any EventSink) {
        self.collaborators.withLock { $0 = Collaborators(connections: connections, twins: twins, events: events) }
    }

    /// The twin registry, once attached.
    var twins: (any TwinDirectory)? { self.collaborators.withLock { $0.twins } }

    /// The checker the TLS listeners use for client certificates.
    public var certificateCheck: DeviceCertificateCheck {
        DeviceCertificateCheck(authority: self.authority) { [self] serial in self.isRevoked(serial: serial) }
    }

    /// The current CRL, DER-encoded.
    public var revocationList: [UInt8] { self.state.withLock { $0.crl } }

    static func userKey(_ name: String) -> String { name.lowercased() }
}

// MARK: - Enrollment

/// A device certificate just issued, with the CA certificate that verifies it.
public struct IssuedCertificate: Sendable {
    public let identity: DeviceIdentity
    public let certificatePEM: String
    public let caPEM: String
}

/// Why an enrollment or renewal was refused. The text is what the device is told.
public enum EnrollmentError: Error, Equatable, CustomStringConvertible {
    case malformedToken
    case unknownToken
    case tokenUsed
    case tokenExpired
    case wrongCA
    case badRequest(String)

    public var description: String {
        switch self {
        case .malformedToken: "the enrollment token is malformed (expected <id>.<secret>.<ca-sha256>)"
        case .unknownToken: "the enrollment token is not known to this server"
        case .tokenUsed: "the enrollment token was already used; ask the operator for a new one"
        case .tokenExpired: "the enrollment token has expired; ask the operator for a new one"
        case .wrongCA: "the enrollment token was made for another CA"
        case .badRequest(let reason): reason
        }
    }
}

extension IdentityService {
    /// Creates a one-time enrollment token for `twin`, valid for `ttl` seconds.
    public func createEnrollmentToken(tenant: TenantID, twin: String, ttl: TimeInterval, actor: String) async throws -> EnrollmentToken {
        let token = EnrollmentToken.generate(caFingerprint: self.authority.fingerprint)
        let now = WallClock.nowNanoseconds()
        try await self.store.saveEnrollmentToken(
            EnrollmentTokenRecord(
                id: token.id, tenant: tenant, twin: twin, secretHash: token.secretHash, createdAt: now,
                expiresAt: now + Int64(ttl * 1e9), createdBy: actor))
        try await self.audit.record(
            tenant: tenant, actor: actor, action: "enrollment.token.create", target: twin, outcome: "success",
            detail: "token \(token.id), valid \(Int(ttl)) s")
        return token
    }

    /// Exchanges an enrollment token and a CSR (PEM) for a device certificate. The token is consumed
    /// whether or not the CSR is good, so that a stolen token cannot be probed.
    public func enroll(token text: String, csrPEM: String, remote: String?) async throws -> IssuedCertificate {
        let refuse = { (tenant: TenantID, target: String, error: EnrollmentError) async throws -> EnrollmentError in
            // Coalesced per source and twin: garbage sent to this public route must not flood the log.
            await self.recordDenial(
                tenant: tenant, actor: Self.sourceAddress(remote) ?? "unknown", action: "device.enroll", target: target,
                detail: error.description, perTarget: true)
            self.logger.notice("enrollment refused", metadata: ["auth.decision": "deny", "auth.reason": "\(error)", "twin.id": "\(target)"])
            return error
        }
        guard let token = EnrollmentToken(text) else { throw try await refuse(.default, "?", .malformedToken) }
        guard token.caFingerprint == self.authority.fingerprint else { throw try await refuse(.default, "?", .wrongCA) }
        guard let record = try await self.store.enrollmentToken(id: token.id),
            ConstantTime.equal(Array(record.secretHash.utf8), Array(token.secretHash.utf8))
        else { throw try await refuse(.default, "?", .unknownToken) }
        let now = WallClock.nowNanoseconds()
        guard record.usedAt == nil else { throw try await refuse(record.tenant, record.twin, .tokenUsed) }
        guard now <= record.expiresAt else { throw try await refuse(record.tenant, record.twin, .tokenExpired) }
        guard try await self.store.consumeEnrollmentToken(id: token.id, at: now) else {
            throw try await refuse(record.tenant, record.twin, .tokenUsed)
        }
        let identity = DeviceIdentity(tenant: record.tenant, twin: record.twin)
        let certificate: Certificate
        do {
            let request = try CertificateSigningRequest(pemEncoded: csrPEM)
            certificate = try self.authority.issueDeviceCertificate(request: request, identity: identity, validity: self.certificateValidity)
        } catch let error as CertificateAuthorityError {
            throw try await refuse(record.tenant, record.twin, .badRequest(error.description))
        } catch {
            throw try await refuse(record.tenant, record.twin, .badRequest("the certificate signing request is not a PEM CSR (\(error))"))
        }
        try await self.recordIssued(certificate, identity: identity, actor: remote ?? "unknown", action: "device.enroll", detail: "token \(token.id)")
        return IssuedCertificate(
            identity: identity, certificatePEM: try certificate.serializeAsPEM().pemString, caPEM: self.authority.certificatePEM)
    }

    /// Issues a fresh certificate to a device that proved its identity with its current certificate.
    public func renew(identity: DeviceIdentity, csrPEM: String, currentSerial: String) async throws -> IssuedCertificate {
        let certificate: Certificate
        do {
            let request = try CertificateSigningRequest(pemEncoded: csrPEM)
            certificate = try self.authority.issueDeviceCertificate(request: request, identity: identity, validity: self.certificateValidity)
        } catch let error as CertificateAuthorityError {
            throw EnrollmentError.badRequest(error.description)
        } catch {
            throw EnrollmentError.badRequest("the certificate signing request is not a PEM CSR (\(error))")
        }
        try await self.recordIssued(
            certificate, identity: identity, actor: identity.twin, action: "device.renew", detail: "replaces \(currentSerial)")
        return IssuedCertificate(
            identity: identity, certificatePEM: try certificate.serializeAsPEM().pemString, caPEM: self.authority.certificatePEM)
    }

    private func recordIssued(_ certificate: Certificate, identity: DeviceIdentity, actor: String, action: String, detail: String) async throws {
        let record = DeviceCertificateRecord(
            serial: certificate.serialNumber.hex, tenant: identity.tenant, twin: identity.twin,
            notBefore: TimeBounds.clampedTime(secondsSinceEpoch: certificate.notValidBefore.timeIntervalSince1970),
            notAfter: TimeBounds.clampedTime(secondsSinceEpoch: certificate.notValidAfter.timeIntervalSince1970))
        try await self.store.saveCertificate(record)
        self.state.withLock { $0.record(record) }
        try await self.audit.record(
            tenant: identity.tenant, actor: actor, action: action, target: identity.twin, outcome: "success",
            detail: "certificate \(record.serial) until \(RFC3339.format(record.notAfter)); \(detail)")
        self.logger.info("certificate issued", metadata: ["twin.id": "\(identity.twin)", "certificate.serial": "\(record.serial)"])
    }

    /// The certificates issued to `twin`, newest last.
    public func certificates(tenant: TenantID, twin: String) -> [DeviceCertificateRecord] {
        self.state.withLock { state in
            (state.serialsByDevice[DeviceKey(tenant: tenant, twin: twin)] ?? []).compactMap { state.certificates[$0] }
                .sorted { $0.notBefore < $1.notBefore }
        }
    }

}

// MARK: - Revocation and trust tiers

extension IdentityService {
    /// What a revocation did.
    public struct RevocationResult: Sendable, Codable {
        public let revokedCertificates: [String]
        public let closedConnections: Int
    }

    /// Revokes every certificate of `twin` and closes its live connections.
    public func revoke(tenant: TenantID, twin: String, reason: String, actor: String) async throws -> RevocationResult {
        let now = WallClock.nowNanoseconds()
        var revoked = self.certificates(tenant: tenant, twin: twin).filter { $0.revokedAt == nil }
        for index in revoked.indices {
            revoked[index].revokedAt = now
            revoked[index].revocationReason = reason
            try await self.store.saveCertificate(revoked[index])
        }
        let serials = revoked.map(\.serial)
        try self.state.withLock { state in
            for record in revoked { state.record(record) }
            state.crl = try state.revocationList(self.authority)
        }
        let closed = self.collaborators.withLock { $0.connections }?.disconnectDevice(tenant: tenant, twin: twin) ?? 0
        try await self.audit.record(
            tenant: tenant, actor: actor, action: "device.revoke", target: twin, outcome: "success",
            detail: "revoked \(serials.isEmpty ? "no active certificate" : serials.joined(separator: ", ")); closed \(closed) connection(s); \(reason)")
        self.logger.notice(
            "device revoked", metadata: ["twin.id": "\(twin)", "certificates": "\(serials.count)", "connections.closed": "\(closed)"])
        return RevocationResult(revokedCertificates: serials, closedConnections: closed)
    }

    /// The tier of a device (trusted unless its score or an operator says otherwise).
    public func tier(tenant: TenantID, twin: String) -> TrustTier {
        self.state.withLock { $0.trust[DeviceKey(tenant: tenant, twin: twin)]?.tier ?? .trusted }
    }
}
