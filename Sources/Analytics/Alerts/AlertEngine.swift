import Foundation
import Synchronization
import TwinGuardCore

/// Evaluates alert rules on live telemetry (threshold and rate of change with hysteresis, absence of
/// data), keeps the alerts, and reports each change of state.
public final class AlertEngine: Sendable {
    struct ConditionKey: Hashable {
        var tenant: TenantID
        var twin: String
        var field: String
        var rule: String
    }

    struct FieldKey: Hashable {
        var tenant: TenantID
        var twin: String
        var field: String
    }

    struct Condition {
        var active = false
        /// The unresolved alert of this rule on this twin.
        var alert: String?
    }

    struct State {
        var conditions: [ConditionKey: Condition] = [:]
        /// Per field: the last value and its time (rates), when it arrived (absence: by the server's clock,
        /// so a device whose clock runs ahead is not taken for present), and its absence rules.
        var lastSeen: [FieldKey: (time: Int64, value: Double, arrived: Int64, absence: [AlertRuleDefinition])] = [:]
        var alerts: [String: Alert] = [:]
        /// Alert ids per tenant, oldest first (bounded).
        var order: [TenantID: [String]] = [:]
        /// Raised at every change of an alert, so that a saver knows when to write.
        var changes = 0
    }

    /// Alerts kept per tenant; the oldest resolved ones go first.
    let keepPerTenant: Int
    private let state = Mutex(State())
    private let onChange: @Sendable (AlertChange) -> Void

    public init(keepPerTenant: Int = 10_000, onChange: @escaping @Sendable (AlertChange) -> Void) {
        self.keepPerTenant = keepPerTenant
        self.onChange = onChange
    }

    /// Evaluates the rules of one value (`time`: the point's, in ns; `arrived`: the server's clock).
    public func evaluate(
        tenant: TenantID, twin: String, field: String, value: Double, time: Int64, rules: [AlertRuleDefinition],
        arrived: Int64 = WallClock.nowNanoseconds()
    ) {
        var changes: [AlertChange] = []
        self.state.withLock { state in
            let fieldKey = FieldKey(tenant: tenant, twin: twin, field: field)
            let previous = state.lastSeen[fieldKey]
            state.lastSeen[fieldKey] = (time, value, arrived, rules.filter { $0.kind == .absence })
            for rule in rules {
                let key = ConditionKey(tenant: tenant, twin: twin, field: field, rule: rule.name)
                let measured: Double
                switch rule.kind {
                case .threshold:
                    measured = value
                case .rate:
                    guard let previous, time > previous.time else { continue }
                    measured = (value - previous.value) / (Double(time - previous.time) / 1e9)
                case .absence:
                    // Data arrived: an absence alert clears.
                    if state.conditions[key]?.active == true {
                        self.clear(key, value: value, at: time, state: &state, changes: &changes)
                    }
                    continue
                }
                let wasActive = state.conditions[key]?.active ?? false
                let hysteresis = rule.hysteresis ?? 0
                let violated: Bool
                if wasActive {
                    // Hysteresis: stay active until the value is back past the limit by the margin.
                    violated = rule.above.map { measured > $0 - hysteresis } ?? false || rule.below.map { measured < $0 + hysteresis } ?? false
                } else {
                    violated = rule.above.map { measured > $0 } ?? false || rule.below.map { measured < $0 } ?? false
                }
                if violated && !wasActive {
                    let what = rule.kind == .rate ? "changes at \(Self.format(measured))/s" : "is \(Self.format(measured))"
                    let limit = [rule.above.map { "above \(Self.format($0))" }, rule.below.map { "below \(Self.format($0))" }].compactMap { $0 }.joined(separator: " or ")
                    self.fire(key, rule: rule, value: measured, message: "\(field) of \(twin) \(what), \(limit)", at: time, state: &state, changes: &changes)
                } else if !violated && wasActive {
                    self.clear(key, value: measured, at: time, state: &state, changes: &changes)
                } else if violated, let id = state.conditions[key]?.alert {
                    state.alerts[id]?.lastValue = measured
                }
            }
        }
        for change in changes { self.onChange(change) }
    }

    /// Raises absence alerts for fields that have been silent longer than their rules allow. Call it
    /// periodically (each second); a field is watched from its first value after the server started.
    public func checkAbsence(now: Int64) {
        var changes: [AlertChange] = []
        self.state.withLock { state in
            for (fieldKey, seen) in state.lastSeen where !seen.absence.isEmpty {
                for rule in seen.absence {
                    guard let seconds = rule.seconds, Double(now - seen.arrived) / 1e9 > seconds else { continue }
                    let key = ConditionKey(tenant: fieldKey.tenant, twin: fieldKey.twin, field: fieldKey.field, rule: rule.name)
                    guard state.conditions[key]?.active != true else { continue }
                    self.fire(
                        key, rule: rule, value: nil,
                        message: "no \(fieldKey.field) from \(fieldKey.twin) for \(Self.format(Double(now - seen.arrived) / 1e9)) s (limit \(Self.format(seconds)) s)",
                        at: now, state: &state, changes: &changes)
                }
            }
        }
        for change in changes { self.onChange(change) }
    }

    private func fire(_ key: ConditionKey, rule: AlertRuleDefinition, value: Double?, message: String, at time: Int64, state: inout State, changes: inout [AlertChange]) {
        var condition = state.conditions[key] ?? Condition()
        condition.active = true
        if let id = condition.alert, var alert = state.alerts[id], alert.status != .resolved {
            // De-duplicated: the unresolved alert counts the new occurrence.
            alert.active = true
            alert.occurrences += 1
            alert.lastValue = value
            alert.message = message
            alert.clearedAt = nil
            state.alerts[id] = alert
            changes.append(AlertChange(event: "alert.fired", alert: alert))
        } else {
            let id = "al_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(20).lowercased()
            let alert = Alert(id: id, tenant: key.tenant, twin: key.twin, field: key.field, rule: rule, value: value, message: message, at: time)
            state.alerts[id] = alert
            state.order[key.tenant, default: []].append(id)
            condition.alert = id
            self.trim(key.tenant, state: &state)
            changes.append(AlertChange(event: "alert.fired", alert: alert))
        }
        state.conditions[key] = condition
        state.changes += 1
    }

    private func clear(_ key: ConditionKey, value: Double?, at time: Int64, state: inout State, changes: inout [AlertChange]) {
        state.conditions[key]?.active = false
        guard let id = state.conditions[key]?.alert, var alert = state.alerts[id], alert.status != .resolved else { return }
        alert.active = false
        alert.clearedAt = time
        if let value { alert.lastValue = value }
        state.alerts[id] = alert
        state.changes += 1
        changes.append(AlertChange(event: "alert.cleared", alert: alert))
    }

    /// Drops the oldest resolved (else oldest) alerts beyond the bound.
    private func trim(_ tenant: TenantID, state: inout State) {
        guard var order = state.order[tenant], order.count > self.keepPerTenant else { return }
        while order.count > self.keepPerTenant {
            let victim = order.firstIndex { state.alerts[$0]?.status == .resolved } ?? 0
            state.alerts.removeValue(forKey: order.remove(at: victim))
        }
        state.order[tenant] = order
    }

    /// Every alert of every tenant, oldest first, and the change count they reflect.
    public func snapshot() -> (alerts: [Alert], changes: Int) {
        self.state.withLock { state in
            (state.order.keys.sorted { $0.rawValue < $1.rawValue }.flatMap { tenant in (state.order[tenant] ?? []).compactMap { state.alerts[$0] } }, state.changes)
        }
    }

    /// Changes so far (compare with a ``snapshot()``'s to know whether to save again).
    public var changeCount: Int { self.state.withLock { $0.changes } }

    /// Puts saved alerts back (at start): unresolved ones keep de-duplicating, active ones stay active
    /// until their rule sees the value back in range.
    public func restore(_ alerts: [Alert]) {
        self.state.withLock { state in
            for alert in alerts where state.alerts[alert.id] == nil {
                state.alerts[alert.id] = alert
                state.order[alert.tenant, default: []].append(alert.id)
                guard alert.status != .resolved else { continue }
                let key = ConditionKey(tenant: alert.tenant, twin: alert.twin, field: alert.field, rule: alert.rule)
                state.conditions[key] = Condition(active: alert.active, alert: alert.id)
            }
        }
    }

    /// The alerts of a tenant, newest first, optionally of one status and twin.
    public func alerts(tenant: TenantID, status: Alert.Status? = nil, twin: String? = nil) -> [Alert] {
        self.state.withLock { state in
            (state.order[tenant] ?? []).reversed().compactMap { state.alerts[$0] }
                .filter { (status == nil || $0.status == status) && (twin == nil || $0.twin == twin) }
        }
    }

    public func alert(_ id: String, tenant: TenantID) -> Alert? {
        self.state.withLock { state in state.alerts[id].flatMap { $0.tenant == tenant ? $0 : nil } }
    }

    /// Acknowledges an open alert (someone is on it). Returns `nil` for an unknown alert.
    public func acknowledge(_ id: String, tenant: TenantID, by actor: String, note: String?, now: Int64 = WallClock.nowNanoseconds()) throws(AnalyticsError) -> Alert? {
        try self.change(id, tenant: tenant, event: "alert.acknowledged") { alert throws(AnalyticsError) in
            guard alert.status == .open else {
                throw AnalyticsError(.invalidParameters, "alert \(id) is \(alert.status.rawValue); only an open alert can be acknowledged")
            }
            alert.status = .acknowledged
            alert.acknowledgedAt = now
            alert.acknowledgedBy = actor
            if let note { alert.note = note }
        }
    }

    /// Resolves an alert (closed; a new violation raises a new alert). Returns `nil` for an unknown alert.
    public func resolve(_ id: String, tenant: TenantID, by actor: String, note: String?, now: Int64 = WallClock.nowNanoseconds()) throws(AnalyticsError) -> Alert? {
        try self.change(id, tenant: tenant, event: "alert.resolved") { alert throws(AnalyticsError) in
            guard alert.status != .resolved else { throw AnalyticsError(.invalidParameters, "alert \(id) is already resolved") }
            alert.status = .resolved
            alert.resolvedAt = now
            alert.resolvedBy = actor
            if let note { alert.note = note }
        }
    }

    private func change(_ id: String, tenant: TenantID, event: String, _ update: (inout Alert) throws(AnalyticsError) -> Void) throws(AnalyticsError) -> Alert? {
        let result: Result<Alert?, AnalyticsError> = self.state.withLock { state in
            guard var alert = state.alerts[id], alert.tenant == tenant else { return .success(nil) }
            do throws(AnalyticsError) {
                try update(&alert)
            } catch {
                return .failure(error)
            }
            state.alerts[id] = alert
            state.changes += 1
            return .success(alert)
        }
        let alert = try result.get()
        if let alert { self.onChange(AlertChange(event: event, alert: alert)) }
        return alert
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(format: "%.4g", value)
    }
}
