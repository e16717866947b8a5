/// A numeric telemetry value under watch, with its field's anomaly settings and alert rules.
public struct ObservedValue: Sendable {
    public var field: String
    public var value: Double
    /// `nil`: no anomaly detection on this field.
    public var anomaly: AnomalyDetectionSettings?
    public var alerts: [AlertRuleDefinition]
    /// Whether the model's remaining-useful-life estimate reads this field.
    public var feedsRUL: Bool

    public init(field: String, value: Double, anomaly: AnomalyDetectionSettings?, alerts: [AlertRuleDefinition] = [], feedsRUL: Bool = false) {
        self.field = field
        self.value = value
        self.anomaly = anomaly
        self.alerts = alerts
        self.feedsRUL = feedsRUL
    }
}

/// One stored point of a twin, reduced to the values under watch (anomaly detection, alert rules).
public struct ObservedPoint: Sendable {
    public var twin: String
    /// The twin's model, when it has one.
    public var model: String?
    /// ns since the epoch.
    public var timestamp: Int64
    public var values: [ObservedValue]

    public init(twin: String, model: String? = nil, timestamp: Int64, values: [ObservedValue]) {
        self.twin = twin
        self.model = model
        self.timestamp = timestamp
        self.values = values
    }
}

/// Receives telemetry after it was stored (analytics). Called on the ingest path, so it must return at
/// once: queue the work, or drop it when the queue is full, never block.
public protocol TelemetryObserver: Sendable {
    func observe(tenant: TenantID, points: [ObservedPoint])
}
