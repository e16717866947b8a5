import Analytics
import MQTT
import Prometheus
import Synchronization
import TimeSeries
import Twins

/// The `/metrics` document: TwinGuard's counters, copied into a Prometheus registry at each scrape.
final class MetricsExposition: Sendable {
    private let registry = PrometheusCollectorRegistry()
    private let broker: Broker
    private let ingestor: TelemetryIngestor
    private let timeSeries: TimeSeriesStore
    private let anomalies: TelemetryWatch
    private let analyticsCounters: [(Counter, @Sendable (TelemetryWatch.Statistics) -> Int)]
    private let analyticsDetectors: Gauge
    private let webhooks: WebhookNotifier
    private let webhookCounters: [(Counter, @Sendable (WebhookNotifier.Statistics) -> Int)]
    private let ingestPoints: Counter
    private let walSync: DurationHistogram
    private let series: Gauge
    private let storedBytes: Gauge
    private let brokerGauges: [(Gauge, @Sendable (BrokerStatistics) -> Int)]
    private let brokerCounters: [(Counter, @Sendable (BrokerStatistics) -> Int)]
    /// Values at the last scrape, to increment counters by the difference.
    private let last = Mutex<[Int]>([])

    init(broker: Broker, ingestor: TelemetryIngestor, timeSeries: TimeSeriesStore, anomalies: TelemetryWatch, webhooks: WebhookNotifier) {
        self.anomalies = anomalies
        self.webhooks = webhooks
        self.broker = broker
        self.ingestor = ingestor
        self.timeSeries = timeSeries
        self.ingestPoints = self.registry.makeCounter(
            name: "twinguard_ingest_points_total", help: "Telemetry points accepted, whatever their route (MQTT, HTTP, /write).")
        self.walSync = self.registry.makeDurationHistogram(
            name: "twinguard_wal_fsync_seconds", buckets: [.microseconds(100), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
                .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(500), .seconds(1)],
            help: "Latency of the write-ahead log's write and fdatasync per group commit.")
        self.series = self.registry.makeGauge(name: "twinguard_timeseries_series", help: "Series in the telemetry store.")
        self.storedBytes = self.registry.makeGauge(name: "twinguard_timeseries_chunk_bytes", help: "Bytes of compressed chunk files.")
        let definitions: [(String, String, @Sendable (BrokerStatistics) -> Int)] = [
            ("twinguard_mqtt_clients_connected", "Connected MQTT clients.", { $0.clientsConnected.load(ordering: .relaxed) }),
            ("twinguard_mqtt_messages_received_total", "MQTT packets received.", { $0.messagesReceived.load(ordering: .relaxed) }),
            ("twinguard_mqtt_messages_sent_total", "MQTT packets sent.", { $0.messagesSent.load(ordering: .relaxed) }),
            ("twinguard_mqtt_publish_received_total", "PUBLISH packets received.", { $0.publishReceived.load(ordering: .relaxed) }),
            ("twinguard_mqtt_publish_dropped_total", "Messages dropped (queues full, expired).", { $0.publishDropped.load(ordering: .relaxed) }),
            ("twinguard_mqtt_bytes_received_total", "Bytes received from MQTT clients.", { $0.bytesReceived.load(ordering: .relaxed) }),
            ("twinguard_mqtt_bytes_sent_total", "Bytes sent to MQTT clients.", { $0.bytesSent.load(ordering: .relaxed) }),
            ("twinguard_mqtt_subscriptions", "Active subscriptions.", { $0.subscriptions.load(ordering: .relaxed) }),
            ("twinguard_mqtt_retained_messages", "Retained messages.", { $0.retainedMessages.load(ordering: .relaxed) }),
            ("twinguard_mqtt_protocol_errors_total", "Connections closed for protocol errors.", { $0.protocolErrors.load(ordering: .relaxed) }),
            ("twinguard_mqtt_authorization_denials_total", "Publishes and subscriptions refused by policy.", { $0.authorizationDenials.load(ordering: .relaxed) }),
            ("twinguard_mqtt_quota_exceeded_total", "Publishes refused because the sender exceeded its rate limits.", { $0.quotaExceeded.load(ordering: .relaxed) }),
        ]
        let registry = self.registry
        let analytics: [(String, String, @Sendable (TelemetryWatch.Statistics) -> Int)] = [
            ("twinguard_analytics_values_scored_total", "Telemetry values scored by the anomaly detectors.", { $0.valuesScored }),
            ("twinguard_analytics_values_shed_total", "Telemetry values not scored because detection was overloaded (queue or detector table full); ingest is never slowed.", { $0.valuesShed }),
            ("twinguard_analytics_anomalies_total", "Anomalies found in live telemetry.", { $0.anomalies }),
        ]
        self.analyticsCounters = analytics.map { (registry.makeCounter(name: $0.0, help: $0.1), $0.2) }
        let hooks: [(String, String, @Sendable (WebhookNotifier.Statistics) -> Int)] = [
            ("twinguard_webhook_deliveries_total", "Webhook deliveries answered with 2xx.", { $0.delivered }),
            ("twinguard_webhook_failed_attempts_total", "Webhook delivery attempts that failed (each retry counts).", { $0.failedAttempts }),
            ("twinguard_webhook_abandoned_total", "Webhook deliveries given up after the last retry or a 4xx answer.", { $0.abandoned }),
            ("twinguard_webhook_dropped_total", "Webhook deliveries dropped because the queue was full.", { $0.dropped }),
        ]
        self.webhookCounters = hooks.map { (registry.makeCounter(name: $0.0, help: $0.1), $0.2) }
        self.analyticsDetectors = registry.makeGauge(name: "twinguard_analytics_detectors", help: "Telemetry fields with a live anomaly detector.")
        self.brokerGauges = definitions.filter { !$0.0.hasSuffix("_total") }.map { (registry.makeGauge(name: $0.0, help: $0.1), $0.2) }
        self.brokerCounters = definitions.filter { $0.0.hasSuffix("_total") }.map { (registry.makeCounter(name: $0.0, help: $0.1), $0.2) }
    }

    /// Updates every metric and renders the exposition text.
    func render() -> String {
        let analytics = self.anomalies.statistics
        let hooks = self.webhooks.statistics
        let counters = [self.ingestPoints] + self.brokerCounters.map(\.0) + self.analyticsCounters.map(\.0) + self.webhookCounters.map(\.0)
        let totals = [self.ingestor.acceptedPointsTotal] + self.brokerCounters.map { $0.1(self.broker.statistics) }
            + self.analyticsCounters.map { $0.1(analytics) } + self.webhookCounters.map { $0.1(hooks) }
        let previous = self.last.withLock { last -> [Int] in
            defer { last = totals }
            return last.isEmpty ? Array(repeating: 0, count: totals.count) : last
        }
        for (index, counter) in counters.enumerated() where totals[index] > previous[index] {
            counter.increment(by: Int64(totals[index] - previous[index]))
        }
        for seconds in self.timeSeries.takeSyncLatencies() {
            self.walSync.record(.nanoseconds(Int64(seconds * 1e9)))
        }
        self.series.set(to: Double(self.timeSeries.seriesCount))
        self.storedBytes.set(to: Double(self.timeSeries.storedBytes))
        self.analyticsDetectors.set(to: Double(analytics.detectors))
        for (gauge, read) in self.brokerGauges { gauge.set(to: Double(read(self.broker.statistics))) }
        return self.registry.emitToString()
    }
}
