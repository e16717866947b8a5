import Synchronization
import TwinGuardCore

/// Writes repeated denials (a device on a foreign topic, a refused certificate, garbage sent to enrollment or
/// setup) to the audit log without letting anyone flood it: at most one entry per subject and kind of denial
/// every 10 seconds, and at most ``globalLimit`` denial entries a second in all. What it holds back it counts,
/// and the next entry of the same kind says how many were coalesced into it. Every denial is still logged
/// and counted where it happens.
final class DenialAuditor: Sendable {
    private struct State {
        var last: [String: (at: Int64, suppressed: Int)] = [:]
        var second: Int64 = 0
        var inSecond = 0
        /// Denials held back by the global limit, reported with the next entry that is written.
        var overflow = 0
    }

    private let state = Mutex(State())
    /// One entry per key in this interval.
    static let interval: Int64 = 10_000_000_000
    /// Denial entries per second across all keys.
    static let globalLimit = 20
    /// Keys remembered; past it the table is cleared (the counts restart, the log stays bounded).
    static let maximumKeys = 100_000

    /// What to write for a denial under `key` now: nil to hold it back, else how many denials of this key
    /// (and, during a flood, of others) were held back since the last entry.
    func admit(_ key: String, now: Int64 = WallClock.nowNanoseconds()) -> (sameKind: Int, others: Int)? {
        self.state.withLock { state in
            if let previous = state.last[key], now - previous.at < Self.interval {
                state.last[key]?.suppressed += 1
                return nil
            }
            let second = now / 1_000_000_000
            if second != state.second {
                state.second = second
                state.inSecond = 0
            }
            guard state.inSecond < Self.globalLimit else {
                state.overflow += 1
                return nil
            }
            state.inSecond += 1
            if state.last.count >= Self.maximumKeys { state.last.removeAll() }
            let coalesced = (state.last[key]?.suppressed ?? 0, state.overflow)
            state.overflow = 0
            state.last[key] = (now, 0)
            return coalesced
        }
    }
}

extension IdentityService {
    /// Audits a denial, at most once per 10 s for the same subject and action (and target, when
    /// `perTarget`: each refused route of a user is recorded, but not each repetition); the entry says how many
    /// repetitions it stands for.
    public func auditDenial(tenant: TenantID, actor: String, action: String, target: String, detail: String, perTarget: Bool = false) {
        guard let entry = self.admitDenial(tenant: tenant, actor: actor, action: action, target: target, detail: detail, perTarget: perTarget)
        else { return }
        let audit = self.audit
        Task { _ = try? await audit.record(tenant: tenant, actor: entry.actor, action: action, target: entry.target, outcome: "deny", detail: entry.detail) }
    }

    /// ``auditDenial(tenant:actor:action:target:detail:perTarget:)`` that returns once the entry, if one is
    /// written, is in the log (for callers that answer the client after it).
    func recordDenial(tenant: TenantID, actor: String, action: String, target: String, detail: String, perTarget: Bool = false) async {
        guard let entry = self.admitDenial(tenant: tenant, actor: actor, action: action, target: target, detail: detail, perTarget: perTarget)
        else { return }
        _ = try? await self.audit.record(tenant: tenant, actor: entry.actor, action: action, target: entry.target, outcome: "deny", detail: entry.detail)
    }

    private func admitDenial(
        tenant: TenantID, actor: String, action: String, target: String, detail: String, perTarget: Bool
    ) -> (actor: String, target: String, detail: String)? {
        guard let coalesced = self.denials.admit("\(tenant.rawValue)\u{1F}\(actor)\u{1F}\(action)" + (perTarget ? "\u{1F}\(target)" : "")) else {
            return nil
        }
        // Names and targets may come from an attacker: bounded before they reach the log.
        let actor = String(actor.prefix(200))
        let target = String(target.prefix(200))
        var detail = String(detail.prefix(1_000))
        if coalesced.sameKind > 0 { detail += " (and \(coalesced.sameKind) more like it before this entry, not recorded one by one)" }
        if coalesced.others > 0 { detail += " (\(coalesced.others) other denials not recorded during a flood)" }
        return (actor, target, detail)
    }

    /// A client certificate was refused in a TLS handshake.
    public func noteCertificateRefusal(_ reason: String, listener: String, remote: String?) {
        self.auditDenial(tenant: .default, actor: remote ?? "unknown", action: "tls.certificate", target: listener, detail: reason)
    }
}

/// Failed logins per source address in the current minute, so that one address cannot try passwords
/// against many accounts (the per-account lockout does not see that).
final class SourceFailureCounter: Sendable {
    private let windows = Mutex<[String: (start: Int64, failures: Int)]>([:])
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    /// Whether `source` may try again now.
    func allows(_ source: String, now: Int64 = WallClock.nowNanoseconds()) -> Bool {
        self.windows.withLock { windows in
            guard let window = windows[source], now - window.start < 60_000_000_000 else { return true }
            return window.failures < self.limit
        }
    }

    func noteFailure(_ source: String, now: Int64 = WallClock.nowNanoseconds()) {
        self.windows.withLock { windows in
            if windows.count > 100_000 { windows = windows.filter { now - $0.value.start < 60_000_000_000 } }
            if let window = windows[source], now - window.start < 60_000_000_000 {
                windows[source] = (window.start, window.failures + 1)
            } else {
                windows[source] = (now, 1)
            }
        }
    }
}
