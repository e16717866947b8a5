import Synchronization
import TwinGuardCore

/// Writes per-message denials (a device on a foreign topic, a refused certificate) to the audit log
/// without letting a misbehaving device flood it: at most one entry per subject and kind of denial
/// every 10 seconds. Every denial is still logged and counted where it happens.
final class DenialAuditor: Sendable {
    private let last = Mutex<[String: Int64]>([:])
    static let interval: Int64 = 10_000_000_000

    /// Whether a denial under `key` should be audited now.
    func admit(_ key: String, now: Int64 = WallClock.nowNanoseconds()) -> Bool {
        self.last.withLock { last in
            if let previous = last[key], now - previous < Self.interval { return false }
            if last.count > 100_000 { last.removeAll() }
            last[key] = now
            return true
        }
    }
}

extension IdentityService {
    /// Audits a denial, at most once per 10 s for the same subject and action (and target, when
    /// `perTarget`: each refused route of a user is recorded, but not each repetition).
    public func auditDenial(tenant: TenantID, actor: String, action: String, target: String, detail: String, perTarget: Bool = false) {
        guard self.denials.admit("\(tenant.rawValue)\u{1F}\(actor)\u{1F}\(action)" + (perTarget ? "\u{1F}\(target)" : "")) else { return }
        let audit = self.audit
        Task { _ = try? await audit.record(tenant: tenant, actor: actor, action: action, target: target, outcome: "deny", detail: detail) }
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
