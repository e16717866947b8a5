import ServiceLifecycle
import Twins

/// Ends the live event streams when shutdown begins. It comes after the HTTP server in the service list,
/// so it is shut down first: the HTTP server then has no endless responses to wait for.
struct EventStreamsService: Service {
    let events: EventHub

    func run() async throws {
        try? await gracefulShutdown()
        self.events.finishAll()
    }
}
