import Analytics
import Identity
import ServiceLifecycle
import TwinGuardCore
import Twins

/// Runs the live anomaly detection worker until shutdown; anomalies become `anomaly` events on the twin
/// and count against the trust score of the twin's device.
struct AnalyticsService: Service {
    let monitor: AnomalyMonitor

    /// The monitor, wired to the event stream and the trust score.
    static func makeMonitor(registry: TwinRegistry, identity: IdentityService) -> AnomalyMonitor {
        AnomalyMonitor { event in
            registry.events.publish(TwinEvent(kind: "anomaly", tenant: event.tenant, twin: event.twin, time: event.time, data: event.eventData))
            identity.recordAnomaly(tenant: event.tenant, twin: event.twin)
        }
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            await self.monitor.run()
        } onGracefulShutdown: {
            self.monitor.finish()
        }
    }
}
