/// A telemetry field as analytics watch it: its anomaly settings, alert rules and whether it feeds a
/// remaining-useful-life model.
public struct WatchedField: Sendable {
    public let name: String
    /// `nil`: no anomaly detection on this field.
    public let anomaly: AnomalyDetectionSettings?
    public let alerts: [AlertRuleDefinition]
    /// Whether the model's remaining-useful-life estimate reads this field.
    public let feedsRUL: Bool

    public init(name: String, anomaly: AnomalyDetectionSettings?, alerts: [AlertRuleDefinition] = [], feedsRUL: Bool = false) {
        self.name = name
        self.anomaly = anomaly
        self.alerts = alerts
        self.feedsRUL = feedsRUL
    }

    /// Whether analytics have anything to do with the field.
    public var isWatched: Bool { self.anomaly != nil || !self.alerts.isEmpty || self.feedsRUL }
}

/// What analytics watch in the points of one series: built once per series binding and shared by every
/// point (so a point under watch costs one array of numbers on the ingest path).
public final class WatchPlan: Sendable {
    /// The twin's model, when it has one.
    public let model: String?
    public let fields: [WatchedField]
    /// How many of the fields are watched.
    public let watchedCount: Int

    public init(model: String?, fields: [WatchedField]) {
        self.model = model
        self.fields = fields
        self.watchedCount = fields.filter(\.isWatched).count
    }
}

/// One stored point of a twin, reduced to the values analytics watch.
public struct ObservedPoint: Sendable {
    public var twin: String
    /// ns since the epoch.
    public var timestamp: Int64
    public var plan: WatchPlan
    /// Per field of the plan, its value in this point (`nan` where the point has none).
    public var values: [Double]

    public init(twin: String, timestamp: Int64, plan: WatchPlan, values: [Double]) {
        self.twin = twin
        self.timestamp = timestamp
        self.plan = plan
        self.values = values
    }

    /// The twin's model, when it has one.
    public var model: String? { self.plan.model }

    /// The watched fields present in this point, with their values.
    public var present: [(field: WatchedField, value: Double)] {
        zip(self.plan.fields, self.values).filter { $0.1.isFinite && $0.0.isWatched }.map { ($0.0, $0.1) }
    }

    /// The number of values analytics will look at.
    public var watchedCount: Int {
        var count = 0
        for (field, value) in zip(self.plan.fields, self.values) where value.isFinite && field.isWatched { count += 1 }
        return count
    }
}

/// Receives telemetry after it was stored (analytics). Called on the ingest path, so it must return at
/// once: queue the work, or drop it when the queue is full, never block.
public protocol TelemetryObserver: Sendable {
    /// Whether the observer takes points now; when it does not, the ingest path only counts what it
    /// would have handed over (``shed(_:)``) instead of building the points.
    var isAccepting: Bool { get }
    func observe(tenant: TenantID, points: [ObservedPoint])
    /// Counts values that were not handed over because the observer was not accepting.
    func shed(_ values: Int)
}
