import Foundation
import Logging
import Synchronization
import TwinGuardCore

/// What is kept about a device's trust: its posture, score and tier, and an operator's override.
public struct DeviceTrustRecord: Codable, Sendable, Equatable {
    public var tier: TrustTier = .trusted
    public var score = TrustScore(score: 100, reasons: [])
    /// An operator's tier, which wins over the score until cleared.
    public var override: TrustTier?
    public var overrideReason: String?
    public var posture: PostureReport?
    public var postureAt: Int64?
    /// What the posture policy found wrong in the last report (`nil`: never reported).
    public var postureFindings: [String]?
    /// Whether the device signs in with a password instead of a certificate.
    public var passwordLogin: Bool?
    /// Hex SHA-256 of the TPM attestation key of the device's first quote (trust on first use).
    public var attestationKey: String?
    /// The PCR digest of the last verified quote.
    public var quotedPCRDigest: String?

    public init() {}
}

/// Per-device rate limits.
public struct RateLimits: Sendable, Equatable {
    public var messagesPerSecond: Double
    public var bytesPerSecond: Double
    /// Refused messages in a row after which the connection is closed.
    public var disconnectAfter: Int

    public init(messagesPerSecond: Double = 200, bytesPerSecond: Double = 1_048_576, disconnectAfter: Int = 20) {
        self.messagesPerSecond = messagesPerSecond
        self.bytesPerSecond = bytesPerSecond
        self.disconnectAfter = disconnectAfter
    }
}

/// A device's recent behaviour, in memory only: token buckets and violation times.
struct Behaviour {
    var messageTokens: Double
    var byteTokens: Double
    var refilledAt: Int64
    var consecutiveRefusals = 0
    var topicViolations: [Int64] = []
    var quotaViolations: [Int64] = []
    /// Times of telemetry anomalies the analytics found in the device's data.
    var anomalies: [Int64] = []
    var minuteStart: Int64
    var minuteCount = 0
    /// Messages per minute, an exponentially weighted mean of past minutes.
    var baseline = 0.0
    var minutesSeen = 0
    var rateAnomaly = false

    init(limits: RateLimits, now: Int64) {
        self.messageTokens = limits.messagesPerSecond * 2
        self.byteTokens = limits.bytesPerSecond * 2
        self.refilledAt = now
        self.minuteStart = now
    }

    static let hour: Int64 = 3_600_000_000_000

    mutating func prune(now: Int64) {
        self.topicViolations.removeAll { $0 < now - Self.hour }
        self.quotaViolations.removeAll { $0 < now - Self.hour }
        self.anomalies.removeAll { $0 < now - Self.hour }
        if self.anomalies.count > 1000 { self.anomalies.removeFirst(self.anomalies.count - 1000) }
        if self.topicViolations.count > 1000 { self.topicViolations.removeFirst(self.topicViolations.count - 1000) }
        if self.quotaViolations.count > 1000 { self.quotaViolations.removeFirst(self.quotaViolations.count - 1000) }
    }
}

extension IdentityService {
    /// A device's trust record.
    public func trust(tenant: TenantID, twin: String) -> DeviceTrustRecord {
        self.state.withLock { $0.trust[DeviceKey(tenant: tenant, twin: twin)] } ?? DeviceTrustRecord()
    }

    /// Every device with a trust record in `tenant`, for the security view.
    public func trustRecords(tenant: TenantID) -> [(twin: String, record: DeviceTrustRecord)] {
        self.state.withLock { state in
            state.trust.filter { $0.key.tenant == tenant }.map { (twin: $0.key.twin, record: $0.value) }.sorted { $0.twin < $1.twin }
        }
    }

    /// Counts one message against a device's limits (``RateLimits``), tracking its rate against its own baseline.
    func admitDeviceMessage(bytes: Int, principal: Principal) -> RateDecision {
        let key = DeviceKey(tenant: principal.tenant, twin: principal.subject)
        let limits = self.rateLimits
        let now = WallClock.nowNanoseconds()
        let (decision, rescore) = self.behaviours.withLock { behaviours -> (RateDecision, Bool) in
            var behaviour = behaviours[key] ?? Behaviour(limits: limits, now: now)
            defer { behaviours[key] = behaviour }
            let elapsed = Double(now - behaviour.refilledAt) / 1e9
            behaviour.refilledAt = now
            behaviour.messageTokens = min(limits.messagesPerSecond * 2, behaviour.messageTokens + elapsed * limits.messagesPerSecond)
            behaviour.byteTokens = min(limits.bytesPerSecond * 2, behaviour.byteTokens + elapsed * limits.bytesPerSecond)
            var rescore = false
            if now - behaviour.minuteStart >= 60_000_000_000 {
                let count = Double(behaviour.minuteCount)
                let wasAnomalous = behaviour.rateAnomaly
                behaviour.rateAnomaly = behaviour.minutesSeen >= 5 && behaviour.baseline >= 1 && count > 5 * behaviour.baseline
                behaviour.baseline = behaviour.minutesSeen == 0 ? count : 0.9 * behaviour.baseline + 0.1 * count
                behaviour.minutesSeen += 1
                behaviour.minuteCount = 0
                behaviour.minuteStart = now
                rescore = wasAnomalous != behaviour.rateAnomaly
            }
            behaviour.minuteCount += 1
            if behaviour.messageTokens >= 1, behaviour.byteTokens >= Double(bytes) {
                behaviour.messageTokens -= 1
                behaviour.byteTokens -= Double(bytes)
                behaviour.consecutiveRefusals = 0
                return (.admit, rescore)
            }
            behaviour.consecutiveRefusals += 1
            behaviour.quotaViolations.append(now)
            behaviour.prune(now: now)
            let reason =
                "quota exceeded: at most \(Int(limits.messagesPerSecond)) messages and \(Int(limits.bytesPerSecond)) bytes per second"
            return (.exceeded(reason: reason, disconnect: behaviour.consecutiveRefusals >= limits.disconnectAfter), true)
        }
        if rescore { self.rescoreSoon(key) }
        return decision
    }

    /// Notes a topic the device was refused, for its trust score.
    func recordTopicViolation(_ principal: Principal) {
        self.recordIncident(\.topicViolations, of: DeviceKey(tenant: principal.tenant, twin: principal.subject))
    }

    /// Notes an anomaly in a device's telemetry, for its trust score (only twins that are devices: with a
    /// certificate, a password login or a trust record).
    public func recordAnomaly(tenant: TenantID, twin: String) {
        let key = DeviceKey(tenant: tenant, twin: twin)
        let isDevice = self.state.withLock { $0.trust[key] != nil || $0.devicePasswords[key] != nil }
            || !self.certificates(tenant: tenant, twin: twin).isEmpty
        guard isDevice else { return }
        self.recordIncident(\.anomalies, of: key)
    }

    /// Adds the time now to one of a device's incident lists (kept for an hour) and re-scores it soon.
    private func recordIncident(_ list: WritableKeyPath<Behaviour, [Int64]>, of key: DeviceKey) {
        let now = WallClock.nowNanoseconds()
        let limits = self.rateLimits
        self.behaviours.withLock { behaviours in
            var behaviour = behaviours[key] ?? Behaviour(limits: limits, now: now)
            behaviour[keyPath: list].append(now)
            behaviour.prune(now: now)
            behaviours[key] = behaviour
        }
        self.rescoreSoon(key)
    }

    /// Re-scores a device off the I/O thread; requests that arrive while one is pending are folded into it.
    func rescoreSoon(_ key: DeviceKey) {
        guard self.pendingRescores.withLock({ $0.insert(key).inserted }) else { return }
        Task {
            self.pendingRescores.withLock { _ = $0.remove(key) }
            await self.rescore(tenant: key.tenant, twin: key.twin, cause: "behaviour")
        }
    }

    /// Computes a device's score from what is known now and applies the tier it maps to (unless an
    /// operator overrode it). A tier change is audited, logged, sent as an event, and blocking closes the
    /// device's connections.
    @discardableResult
    public func rescore(tenant: TenantID, twin: String, cause: String) async -> DeviceTrustRecord {
        let key = DeviceKey(tenant: tenant, twin: twin)
        let now = WallClock.nowNanoseconds()
        let behaviour = self.behaviours.withLock { behaviours -> Behaviour? in
            behaviours[key]?.prune(now: now)
            return behaviours[key]
        }
        let newest = self.certificates(tenant: tenant, twin: twin).filter { $0.revokedAt == nil }.map(\.notAfter).max()
        let (previous, updated) = self.state.withLock { state -> (DeviceTrustRecord, DeviceTrustRecord) in
            let previous = state.trust[key] ?? DeviceTrustRecord()
            var record = previous
            record.score = TrustScore.compute(
                TrustScore.Inputs(
                    certificateDaysLeft: newest.map { Double($0 - now) / 86_400e9 }, passwordLogin: record.passwordLogin == true,
                    postureFindings: record.postureFindings,
                    topicViolations: behaviour?.topicViolations.count ?? 0, quotaViolations: behaviour?.quotaViolations.count ?? 0,
                    rateAnomaly: behaviour?.rateAnomaly ?? false, anomalies: behaviour?.anomalies.count ?? 0))
            record.tier = record.override ?? record.score.tier
            state.trust[key] = record
            return (previous, record)
        }
        if previous != updated { await self.persistTrust(key, updated) }
        if previous.tier != updated.tier {
            await self.tierChanged(key, from: previous.tier, to: updated.tier, actor: "trust-score", reason: "score \(updated.score.score) after \(cause): " + updated.score.reasons.joined(separator: "; "))
        }
        return updated
    }

    /// An operator's override of a device's tier (`nil` clears it: the score decides again).
    public func setTier(_ tier: TrustTier?, tenant: TenantID, twin: String, reason: String, actor: String) async throws {
        let key = DeviceKey(tenant: tenant, twin: twin)
        let (previous, updated) = self.state.withLock { state -> (DeviceTrustRecord, DeviceTrustRecord) in
            let previous = state.trust[key] ?? DeviceTrustRecord()
            var record = previous
            record.override = tier
            record.overrideReason = tier == nil ? nil : reason
            record.tier = tier ?? record.score.tier
            state.trust[key] = record
            return (previous, record)
        }
        await self.persistTrust(key, updated)
        try await self.audit.record(
            tenant: tenant, actor: actor, action: "device.tier.override", target: twin, outcome: "success",
            detail: tier.map { "\(previous.tier.rawValue) → \($0.rawValue): \(reason)" } ?? "override cleared: \(reason)")
        if previous.tier != updated.tier {
            await self.tierChanged(key, from: previous.tier, to: updated.tier, actor: actor, reason: reason)
        }
    }

    private func tierChanged(_ key: DeviceKey, from: TrustTier, to: TrustTier, actor: String, reason: String) async {
        self.logger.notice("device tier changed", metadata: ["twin.id": "\(key.twin)", "tier.from": "\(from)", "tier.to": "\(to)", "reason": "\(reason)"])
        do {
            try await self.audit.record(
                tenant: key.tenant, actor: actor, action: "device.tier", target: key.twin, outcome: "success",
                detail: "\(from.rawValue) → \(to.rawValue): \(reason)")
        } catch {
            self.logger.error("audit entry not written", metadata: ["error": "\(error)"])
        }
        self.emit(tenant: key.tenant, twin: key.twin, kind: "trust.tier", data: ["from": from.rawValue, "to": to.rawValue, "reason": reason])
        if to == .blocked {
            _ = self.collaborators.withLock { $0.connections }?.disconnectDevice(tenant: key.tenant, twin: key.twin)
        }
    }

    /// Takes a posture report from the device itself, checks it against its tenant's policy and re-scores.
    public func receivePosture(_ payload: [UInt8], tenant: TenantID, twin: String) async throws -> DeviceTrustRecord {
        let report: PostureReport
        do {
            report = try JSONDecoder().decode(PostureReport.self, from: Data(payload))
        } catch {
            throw PostureError.malformed
        }
        let key = DeviceKey(tenant: tenant, twin: twin)
        let policy = self.posturePolicy(tenant: tenant)
        let attestation = report.tpmQuote.map { self.checkQuote($0, key: key) }
        let findings = policy.findings(for: report, attestation: attestation)
        let previousFindings = self.state.withLock { state -> [String]? in
            var record = state.trust[key] ?? DeviceTrustRecord()
            let previous = record.postureFindings
            record.posture = report
            record.posture?.tpmQuote = nil
            record.postureAt = WallClock.nowNanoseconds()
            record.postureFindings = findings
            if case .success(let digest) = attestation { record.quotedPCRDigest = digest }
            state.trust[key] = record
            return previous
        }
        if previousFindings != findings {
            try await self.audit.record(
                tenant: tenant, actor: twin, action: "device.posture", target: twin, outcome: findings.isEmpty ? "compliant" : "non-compliant",
                detail: findings.isEmpty ? "firmware \(report.firmwareVersion ?? "?")" : findings.joined(separator: "; "))
        }
        self.emit(
            tenant: tenant, twin: twin, kind: "trust.posture",
            data: ["compliant": findings.isEmpty ? "true" : "false", "findings": findings.joined(separator: "; ")])
        return await self.rescore(tenant: tenant, twin: twin, cause: "posture report")
    }

    /// The posture policy of `tenant`.
    public func posturePolicy(tenant: TenantID) -> PosturePolicy {
        self.state.withLock { $0.posturePolicies[tenant] } ?? PosturePolicy()
    }

    /// Replaces the posture policy of `tenant` and re-checks every device's last report against it.
    public func setPosturePolicy(_ policy: PosturePolicy, tenant: TenantID, actor: String) async throws {
        self.state.withLock { $0.posturePolicies[tenant] = policy }
        try await self.store.saveSetting(key: "posture/\(tenant.rawValue)", document: Array(try JSONEncoder().encode(policy)))
        try await self.audit.record(
            tenant: tenant, actor: actor, action: "policy.posture", target: tenant.rawValue, outcome: "success",
            detail: String(decoding: try JSONEncoder().encode(policy), as: UTF8.self))
        let reports = self.state.withLock { state in
            state.trust.filter { $0.key.tenant == tenant }.compactMap { key, record in record.posture.map { (key, $0, record.quotedPCRDigest) } }
        }
        for (key, report, digest) in reports {
            // The last verified quote stands for the device until its next report.
            let attestation = digest.map { Result<String, AttestationFailure>.success($0) }
            let findings = policy.findings(for: report, attestation: attestation)
            self.state.withLock { $0.trust[key]?.postureFindings = findings }
            await self.rescore(tenant: key.tenant, twin: key.twin, cause: "new posture policy")
        }
    }

    func persistTrust(_ key: DeviceKey, _ record: DeviceTrustRecord) async {
        do {
            try await self.store.saveSetting(key: "trust/\(key.tenant.rawValue)/\(key.twin)", document: Array(try JSONEncoder().encode(record)))
        } catch {
            self.logger.error("trust record not saved", metadata: ["twin.id": "\(key.twin)", "error": "\(error)"])
        }
    }

    func emit(tenant: TenantID, twin: String, kind: String, data: [String: String]) {
        self.collaborators.withLock { $0.events }?.emit(kind: kind, tenant: tenant, twin: twin, data: data)
    }
}

/// Why a posture report was refused.
public enum PostureError: Error, CustomStringConvertible {
    case malformed
    case notTheDevice

    public var description: String {
        switch self {
        case .malformed: "a posture report is a JSON object: firmware_version, firmware_hash, secure_boot, open_services, patch_level"
        case .notTheDevice: "only the device itself reports its posture"
        }
    }
}
