import Logging
import Synchronization
import TwinGuardCore

/// The server's ``Authorizer``: certificates for devices, passwords for users, policy documents and
/// trust tiers for every message.
///
/// Development conveniences (anonymous access, a demo's generated credentials) come from `fallback`,
/// consulted only when neither a certificate nor a known user matches.
public struct IdentityAuthorizer: Authorizer {
    let identity: IdentityService
    let fallback: (any Authorizer)?
    /// Where passwords and tokens may come unencrypted.
    let plaintext: PlaintextCredentialPolicy

    public init(identity: IdentityService, fallback: (any Authorizer)?, plaintext: PlaintextCredentialPolicy = PlaintextCredentialPolicy()) {
        self.identity = identity
        self.fallback = fallback
        self.plaintext = plaintext
    }

    /// A refusal of a password or token that came unencrypted from another machine: it is not checked at all.
    private func plaintextRefusal(_ credentials: ConnectCredentials) -> AuthenticationResult? {
        guard credentials.certificate == nil, credentials.password != nil,
            !self.plaintext.permits(encrypted: credentials.encrypted, remote: credentials.remoteAddress)
        else { return nil }
        self.identity.auditDenial(
            tenant: .default, actor: IdentityService.sourceAddress(credentials.remoteAddress) ?? "unknown", action: "mqtt.connect",
            target: String((credentials.username ?? "").prefix(64)), detail: "password over plaintext from another machine")
        return .refused(.notAuthorized(reason: PlaintextCredentialPolicy.refusal))
    }

    public func authenticateImmediately(_ credentials: ConnectCredentials) -> AuthenticationResult? {
        if let certificate = credentials.certificate { return self.certificateDecision(certificate) }
        if let refusal = self.plaintextRefusal(credentials) { return refusal }
        if let name = credentials.username, name.hasPrefix("device/") { return nil }
        if let name = credentials.username, self.identity.hasUser(name) { return nil }
        let immediate = self.fallback?.authenticateImmediately(credentials) ?? (self.fallback == nil ? self.refusal(credentials) : nil)
        // A refused name goes the slow way, where it costs what a wrong password costs.
        if case .refused = immediate, credentials.username != nil { return nil }
        return immediate
    }

    public func authenticate(_ credentials: ConnectCredentials) async -> AuthenticationResult {
        if let certificate = credentials.certificate { return self.certificateDecision(certificate) }
        if let refusal = self.plaintextRefusal(credentials) { return refusal }
        if let name = credentials.username,
            let result = self.identity.authenticateDevicePassword(
                username: name, password: credentials.password.map { String(decoding: $0, as: UTF8.self) } ?? "",
                remote: credentials.remoteAddress)
        {
            return result
        }
        if let name = credentials.username, self.identity.hasUser(name) {
            let password = credentials.password.map { String(decoding: $0, as: UTF8.self) } ?? ""
            if password.hasPrefix("tg_") {
                // An API token as the password: how users whose role needs MFA connect over MQTT.
                guard case .success(let token) = self.identity.authenticateToken(password), token.user.lowercased() == name.lowercased(),
                    !token.mfaPending
                else { return .refused(.badCredentials) }
                return .accepted(self.identity.principal(of: token))
            }
            switch await self.identity.login(name: name, password: password, totp: nil, remote: credentials.remoteAddress, channel: "mqtt") {
            case .success(let user):
                if user.role.requiresMFA {
                    return .refused(.notAuthorized(reason: "role '\(user.role.rawValue)' needs a second factor: use an API token as the MQTT password"))
                }
                return .accepted(user.principal)
            case .failure(let failure):
                if case .locked = failure { return .refused(.notAuthorized(reason: failure.description)) }
                if failure == .mfaRequired {
                    return .refused(.notAuthorized(reason: "a second factor is enrolled: use an API token as the MQTT password"))
                }
                return .refused(.badCredentials)
            }
        }
        let result = await self.fallback?.authenticate(credentials) ?? self.refusal(credentials)
        if case .refused = result, let name = credentials.username {
            self.identity.refuseUnknownUser(
                name: name, password: credentials.password.map { String(decoding: $0, as: UTF8.self) } ?? "",
                remote: credentials.remoteAddress, channel: "mqtt")
        }
        return result
    }

    private func refusal(_ credentials: ConnectCredentials) -> AuthenticationResult {
        credentials.username == nil && credentials.password == nil ? .refused(.anonymousNotAllowed) : .refused(.badCredentials)
    }

    private func certificateDecision(_ certificate: ClientCertificate) -> AuthenticationResult {
        if self.identity.isRevoked(serial: certificate.serial) {
            return .refused(.notAuthorized(reason: "certificate \(certificate.serial) is revoked"))
        }
        if self.identity.tier(tenant: certificate.tenant, twin: certificate.twin) == .blocked {
            return .refused(.notAuthorized(reason: "device '\(certificate.twin)' is blocked"))
        }
        return .accepted(Principal(tenant: certificate.tenant, role: .device, subject: certificate.twin))
    }

    public func admit(messageOf bytes: Int, from principal: Principal) -> RateDecision {
        guard principal.role == .device else { return .admit }
        let decision = self.identity.admitDeviceMessage(bytes: bytes, principal: principal)
        if case .exceeded(let reason, _) = decision {
            // At most one entry per device every 10 s: a flood must not flood the audit log too.
            self.identity.auditDenial(tenant: principal.tenant, actor: principal.subject, action: "mqtt.quota", target: principal.subject, detail: reason)
        }
        return decision
    }

    public func noteRefusal(_ principal: Principal, action: String, target: String, reason: String) {
        self.identity.auditDenial(tenant: principal.tenant, actor: principal.subject, action: action, target: target, detail: reason, perTarget: true)
    }

    public func authorize(_ action: BrokerAction, for principal: Principal) -> AuthorizationDecision {
        switch principal.role {
        case .device:
            return self.identity.authorizeDevice(action, principal: principal)
        case _ where principal.sites != nil:
            return self.identity.authorizeSiteLimited(action, principal: principal)
        case _ where principal.role.allows(.anyTopic):
            return .allow
        case .viewer, .engineer, .securityOfficer:
            if case .subscribe = action, principal.role.allows(.read) { return .allow }
            return .deny(reason: "role '\(principal.role.rawValue)' may only subscribe")
        default:
            return self.fallback?.authorize(action, for: principal) ?? .deny(reason: "no policy grants this")
        }
    }
}

extension IdentityService {
    /// Whether a certificate serial is revoked.
    public func isRevoked(serial: String) -> Bool {
        self.state.withLock { $0.revokedSerials.contains(serial) }
    }

    /// The per-message decision for a device: its tier first, then the policy documents that apply to it.
    func authorizeDevice(_ action: BrokerAction, principal: Principal) -> AuthorizationDecision {
        let key = DeviceKey(tenant: principal.tenant, twin: principal.subject)
        // The device's grants, compiled once per policy change (not per message).
        let now = WallClock.nowNanoseconds()
        let cached = self.state.withLock { state -> (TrustTier, CompiledGrants?, Int) in
            let tier = state.trust[key]?.tier ?? .trusted
            guard let cached = state.compiledGrants[key], cached.generation == state.policyGeneration,
                now - cached.compiledAt < 10_000_000_000
            else { return (tier, nil, state.policyGeneration) }
            return (tier, cached, state.policyGeneration)
        }
        let tier = cached.0
        let grants: CompiledGrants
        if let compiled = cached.1 {
            grants = compiled
        } else {
            let groups = self.twins?.policyGroups(ofTwin: principal.subject, tenant: principal.tenant) ?? []
            grants = self.state.withLock { state in
                let applicable = ([PolicyDocument.deviceDefault] + (state.policies[principal.tenant] ?? []))
                    .filter { $0.applies(to: principal, groups: groups) }
                let compiled = CompiledGrants(
                    generation: cached.2, compiledAt: now, publish: applicable.flatMap { $0.patterns($0.publish, for: principal) },
                    subscribe: applicable.flatMap { $0.patterns($0.subscribe, for: principal) })
                if state.compiledGrants.count > 200_000 { state.compiledGrants.removeAll() }
                state.compiledGrants[key] = compiled
                return compiled
            }
        }
        switch action {
        case .publish(let topic):
            if let allowed = tier.publishableSuffixes {
                let own = "tg/\(principal.tenant.rawValue)/\(principal.subject)/"
                guard topic.hasPrefix(own), allowed.contains(String(topic.dropFirst(own.count))) else {
                    let reason = "device '\(principal.subject)' is \(tier.rawValue): may not publish to '\(topic)'"
                    self.auditDenial(tenant: principal.tenant, actor: principal.subject, action: "mqtt.publish", target: topic, detail: reason)
                    return .deny(reason: reason)
                }
            }
            if grants.publish.contains(where: { $0.matches(topic: topic) }) { return .allow }
            return self.refuseUngranted(principal, action: "publish to", topic: topic)
        case .subscribe(let filter):
            guard tier.maySubscribe else {
                let reason = "device '\(principal.subject)' is \(tier.rawValue): may not subscribe to '\(filter)'"
                self.auditDenial(tenant: principal.tenant, actor: principal.subject, action: "mqtt.subscribe", target: filter, detail: reason)
                return .deny(reason: reason)
            }
            if grants.subscribe.contains(where: { $0.covers(filter: filter) }) { return .allow }
            return self.refuseUngranted(principal, action: "subscribe to", topic: filter)
        }
    }

    /// A user limited to sites uses only the topics of twins of those sites: `tg/{tenant}/{twin}/…` with a
    /// concrete twin (no wildcard in its place), and what the role allows there.
    func authorizeSiteLimited(_ action: BrokerAction, principal: Principal) -> AuthorizationDecision {
        let (topic, isPublish): (String, Bool) =
            switch action {
            case .publish(let topic): (topic, true)
            case .subscribe(let filter): (filter, false)
            }
        let levels = topic.split(separator: "/", omittingEmptySubsequences: false)
        guard levels.count >= 4, levels[0] == "tg", levels[1] == principal.tenant.rawValue, levels[2] != "+", levels[2] != "#" else {
            return .deny(reason: "'\(principal.subject)' is limited to sites: only tg/\(principal.tenant)/{twin}/… of their twins")
        }
        let site = self.twins?.site(ofTwin: String(levels[2]), tenant: principal.tenant)
        guard principal.mayAccess(site: site) else {
            return .deny(reason: "twin '\(levels[2])' is not in a site of '\(principal.subject)'")
        }
        if isPublish && !principal.role.allows(.anyTopic) {
            return .deny(reason: "role '\(principal.role.rawValue)' may only subscribe")
        }
        return .allow
    }

    /// A topic no policy grants: counted against the device's trust score and audited (rate-limited).
    private func refuseUngranted(_ principal: Principal, action: String, topic: String) -> AuthorizationDecision {
        self.recordTopicViolation(principal)
        self.auditDenial(
            tenant: principal.tenant, actor: principal.subject, action: action == "publish to" ? "mqtt.publish" : "mqtt.subscribe",
            target: topic, detail: "no policy grants this topic (further denials of this device within 10 s are logged, not audited)")
        return .deny(reason: "no policy lets device '\(principal.subject)' \(action) '\(topic)'")
    }
}
