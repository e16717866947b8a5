import Identity
import Logging
import ServiceLifecycle

/// Signs the audit chain's head at an interval and once more at shutdown (``IdentityService/writeAuditCheckpoint()``).
struct AuditCheckpointService: Service {
    let identity: IdentityService
    let interval: Duration
    let logger: Logger

    func run() async throws {
        // At start too: a log taken over from a stopped server is anchored at once.
        await self.checkpoint()
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await cancelWhenGracefulShutdown {
                try await Task.sleep(for: self.interval)
            }
            await self.checkpoint()
        }
        await self.checkpoint()
    }

    private func checkpoint() async {
        do {
            if let checkpoint = try await self.identity.writeAuditCheckpoint() {
                self.logger.debug("audit checkpoint signed", metadata: ["audit.sequence": "\(checkpoint.sequence)"])
            }
        } catch {
            self.logger.error("audit checkpoint not written", metadata: ["error": "\(error)"])
        }
    }
}
