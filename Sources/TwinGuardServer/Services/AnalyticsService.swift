import Analytics
import Foundation
import Identity
import Logging
import ServiceLifecycle
import TwinGuardCore
import Twins

/// Runs live analytics until shutdown: the telemetry watch's worker (anomaly detection and alert rules)
/// and, each second, the check for fields that went silent (absence rules). Anomalies and alert changes
/// become events on the twin (`anomaly`, `alert.*`) and go to webhooks; anomalies also count against the
/// trust score of the twin's device. Remaining-useful-life estimates are `rul` events, and one that falls
/// below the model's threshold is a `maintenance` event (and webhook) and a `maintenance-due` alert.
struct AnalyticsService: Service {
    let watch: TelemetryWatch
    /// Where the alerts are saved (every 5 s when they changed, and at shutdown) and read at start.
    let alertsPath: String
    let logger: Logger

    init(watch: TelemetryWatch, dataDir: String, logger: Logger) throws {
        self.watch = watch
        self.alertsPath = dataDir + "/alerts.json"
        self.logger = logger
        if FileManager.default.fileExists(atPath: self.alertsPath) {
            let saved = try JSONDecoder().decode([Alert].self, from: Data(contentsOf: URL(fileURLWithPath: self.alertsPath)))
            watch.alerts.restore(saved)
        }
    }

    /// Writes the alerts when they changed since `saved`; returns the change count written.
    private func saveAlerts(after saved: Int) -> Int {
        let (alerts, changes) = self.watch.alerts.snapshot()
        guard changes != saved else { return saved }
        do {
            try JSONEncoder().encode(alerts).write(to: URL(fileURLWithPath: self.alertsPath), options: .atomic)
            return changes
        } catch {
            self.logger.error("cannot save the alerts to \(self.alertsPath): \(error)")
            return saved
        }
    }

    /// The watch, wired to the event stream, the trust score and the webhooks.
    static func makeWatch(
        registry: TwinRegistry, identity: IdentityService, webhooks: WebhookNotifier, configuration: ServerConfiguration
    ) throws -> TelemetryWatch {
        let dataDir = configuration.dataDir
        var limits = TelemetryWatch.Limits()
        limits.coreShare = Double(configuration.analyticsPercentOfACore) / 100
        limits.queuedValues = configuration.analyticsMaximumQueuedValues
        let alerts = AlertEngine { change in
            let data = (try? JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(change.alert))) ?? .null
            registry.events.publish(TwinEvent(kind: change.event, tenant: change.alert.tenant, twin: change.alert.twin, data: data))
            webhooks.notify(tenant: change.alert.tenant, event: change.event, payload: data)
        }
        let rul = try RULTracker(directory: dataDir + "/rul")
        let onRUL: @Sendable (TenantID, String, RULTracker.Update) -> Void = { tenant, twin, update in
            let data = (try? JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(update.estimate))) ?? .null
            registry.events.publish(TwinEvent(kind: "rul", tenant: tenant, twin: twin, data: data))
            if let threshold = update.estimate.maintenanceBelow {
                // The maintenance alert: a threshold rule on the estimate, re-armed as the tracker re-arms its event.
                let rule = AlertRuleDefinition(
                    name: "maintenance-due", kind: .threshold, below: threshold, hysteresis: threshold * 0.1 + 1, severity: "major")
                alerts.evaluate(
                    tenant: tenant, twin: twin, field: "remaining_useful_life", value: update.estimate.rul, time: WallClock.nowNanoseconds(),
                    rules: [rule])
            }
            if update.maintenanceDue {
                registry.events.publish(TwinEvent(kind: "maintenance", tenant: tenant, twin: twin, data: data))
                var payload = data
                if case .object(var object) = payload {
                    object["twin"] = .string(twin)
                    payload = .object(object)
                }
                webhooks.notify(tenant: tenant, event: "maintenance", payload: payload)
            }
        }
        return TelemetryWatch(limits: limits, alerts: alerts, rul: rul, onRUL: onRUL) { event in
            registry.events.publish(TwinEvent(kind: "anomaly", tenant: event.tenant, twin: event.twin, time: event.time, data: event.eventData))
            identity.recordAnomaly(tenant: event.tenant, twin: event.twin)
            var payload = event.eventData
            if case .object(var object) = payload {
                object["twin"] = .string(event.twin)
                payload = .object(object)
            }
            webhooks.notify(tenant: event.tenant, event: "anomaly", payload: payload)
        }
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.watch.run() }
                group.addTask {
                    var saved = self.watch.alerts.changeCount
                    var tick = 0
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(1))
                        self.watch.alerts.checkAbsence(now: WallClock.nowNanoseconds())
                        tick += 1
                        if tick % 5 == 0 { saved = self.saveAlerts(after: saved) }
                    }
                }
                await group.next()
                group.cancelAll()
            }
            _ = self.saveAlerts(after: -1)
        } onGracefulShutdown: {
            self.watch.finish()
        }
    }
}
