import Logging
import MQTT
import ServiceLifecycle
import TwinGuardCore

/// Flushes the broker's retained messages and sessions to the store at a fixed interval and once more
/// at shutdown, and removes expired sessions and messages.
struct BrokerPersistenceService: Service {
    let broker: Broker
    let store: any BrokerStateStore
    let interval: Duration
    let logger: Logger

    func run() async throws {
        // Wait for shutdown or the next tick, flushing each time; cancellation also ends the wait.
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown {
                try await Task.sleep(for: self.interval)
            }
            self.broker.removeExpired()
            await self.flush()
        }
        await self.flush()
        self.logger.info("broker state saved")
    }

    private func flush() async {
        let changes = self.broker.collectChanges()
        guard !changes.isEmpty else { return }
        do {
            try await self.store.saveBrokerState(changes)
        } catch {
            self.logger.error("cannot save broker state", metadata: ["error": "\(error)"])
        }
    }
}

/// Publishes `$SYS/broker/…` statistics at a fixed interval.
struct SystemTopicsService: Service {
    let broker: Broker
    let interval: Duration
    let version: String

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            self.broker.publishSystemTopics(version: self.version)
            try? await cancelWhenGracefulShutdown {
                try await Task.sleep(for: self.interval)
            }
        }
    }
}
