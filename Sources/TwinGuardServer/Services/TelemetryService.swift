import Logging
import ServiceLifecycle
import TimeSeries
import TwinGuardCore
import Twins

/// Keeps the telemetry store and twin registry on disk: saves new twins every second, checkpoints the
/// WAL into chunk files at an interval (or sooner when much was written), and at shutdown, after the
/// listeners stopped, seals the heads, checkpoints, compacts and saves last-seen times.
struct TelemetryService: Service {
    let timeSeries: TimeSeriesStore
    let registry: TwinRegistry
    let checkpointInterval: Duration
    /// Checkpoint early once this many points arrived since the last one (bounds replay time and memory).
    let checkpointPoints: Int
    /// The downsampling tiers of a tenant.
    let tiers: @Sendable (TenantID) -> [DownsampleTier]
    let logger: Logger

    func run() async throws {
        var sinceCheckpoint = Duration.zero
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown {
                try await Task.sleep(for: .seconds(1))
            }
            sinceCheckpoint += .seconds(1)
            await self.saveTwins()
            if sinceCheckpoint >= self.checkpointInterval || self.timeSeries.pointsSinceCheckpoint >= self.checkpointPoints {
                sinceCheckpoint = .zero
                await self.maintain()
            }
        }
        let started = ContinuousClock.now
        do {
            try await self.registry.flushAll()
        } catch {
            self.logger.error("cannot save twins", metadata: ["error": "\(error)"])
        }
        do {
            try await self.timeSeries.close()
            self.logger.info(
                "telemetry saved", metadata: ["duration": "\(started.duration(to: .now))", "bytes": "\(self.timeSeries.storedBytes)"])
        } catch {
            self.logger.error("telemetry could not be saved cleanly; the WAL will be replayed at the next start", metadata: ["error": "\(error)"])
        }
    }

    /// Downsamples new complete buckets, checkpoints, and compacts when it pays (retention included).
    private func maintain() async {
        do {
            let written = try Downsampler.run(store: self.timeSeries, tiers: self.tiers, now: WallClock.nowNanoseconds())
            if written > 0 { self.logger.debug("telemetry downsampled", metadata: ["points": "\(written)"]) }
        } catch {
            // Downsampling is derived data: it must never keep the WAL from being checkpointed.
            self.logger.warning("telemetry downsampling failed", metadata: ["error": "\(error)"])
        }
        do {
            try await self.timeSeries.checkpoint()
            try await self.timeSeries.compactIfNeeded()
        } catch {
            self.logger.error("telemetry maintenance failed", metadata: ["error": "\(error)"])
        }
    }

    private func saveTwins() async {
        do {
            try await self.registry.flush()
        } catch {
            self.logger.error("cannot save twins", metadata: ["error": "\(error)"])
        }
    }
}
