import Synchronization
import TwinGuardCore

/// Live analytics on telemetry: takes stored values from the ingest path through a bounded queue (when
/// it is full the work is shed and counted, ingest never waits) and, on one worker task, runs a
/// ``StreamingDetector`` per watched field and a ``RelationDetector`` per twin (reporting anomalies) and
/// the fields' alert rules (``AlertEngine``).
public final class TelemetryWatch: TelemetryObserver, Sendable {
    /// Bounds of the monitor.
    public struct Limits: Sendable {
        /// Batches waiting for the worker before new ones are shed.
        public var queuedBatches = 4096
        /// Values waiting for the worker before new ones are shed.
        public var queuedValues = 1_000_000
        /// The share of one core the worker may use (0.05...1): after each batch it rests long enough to
        /// stay within it, and what arrives meanwhile queues or is shed. Keeps analytics from taking CPU
        /// from ingest on a small machine.
        public var coreShare = 0.5
        /// Series with a detector; values of further series are shed.
        public var detectors = 200_000
        /// Anomalies kept per twin for the API.
        public var recentPerTwin = 100

        public init() {}
    }

    /// Counters for `/metrics`.
    public struct Statistics: Sendable {
        public var valuesScored: Int
        public var valuesShed: Int
        public var anomalies: Int
        public var detectors: Int
    }

    struct Batch: Sendable {
        var tenant: TenantID
        var points: [ObservedPoint]
        var values: Int { self.points.reduce(0) { $0 + $1.watchedCount } }
    }

    struct SeriesKey: Hashable {
        var tenant: TenantID
        var twin: String
        var field: String
    }

    struct TwinKey: Hashable {
        var tenant: TenantID
        var twin: String
    }

    private let limits: Limits
    private let stream: AsyncStream<Batch>
    private let continuation: AsyncStream<Batch>.Continuation
    private let onAnomaly: @Sendable (AnomalyEvent) -> Void
    /// The alert rules' engine.
    public let alerts: AlertEngine
    /// Live remaining-useful-life estimates.
    public let rul: RULTracker
    private let onRUL: @Sendable (TenantID, String, RULTracker.Update) -> Void
    private let recent = Mutex<[TwinKey: [AnomalyEvent]]>([:])
    private let forgotten = Mutex<Set<TwinKey>>([])
    private let scored = Atomic<Int>(0)
    private let shed = Atomic<Int>(0)
    private let found = Atomic<Int>(0)
    private let detectorCount = Atomic<Int>(0)
    private let queued = Atomic<Int>(0)

    /// - Parameter onAnomaly: called on the worker for each anomaly (publish it, tell the trust score).
    /// - Parameter onRUL: called on the worker with each new estimate of a twin.
    public init(
        limits: Limits = Limits(), alerts: AlertEngine, rul: RULTracker, onRUL: @escaping @Sendable (TenantID, String, RULTracker.Update) -> Void = { _, _, _ in },
        onAnomaly: @escaping @Sendable (AnomalyEvent) -> Void
    ) {
        self.limits = limits
        self.alerts = alerts
        self.rul = rul
        self.onRUL = onRUL
        (self.stream, self.continuation) = AsyncStream<Batch>.makeStream(bufferingPolicy: .bufferingOldest(limits.queuedBatches))
        self.onAnomaly = onAnomaly
    }

    public var statistics: Statistics {
        Statistics(
            valuesScored: self.scored.load(ordering: .relaxed), valuesShed: self.shed.load(ordering: .relaxed),
            anomalies: self.found.load(ordering: .relaxed), detectors: self.detectorCount.load(ordering: .relaxed))
    }

    public var isAccepting: Bool { self.queued.load(ordering: .relaxed) < self.limits.queuedValues }

    public func shed(_ values: Int) { self.shed.add(values, ordering: .relaxed) }

    public func observe(tenant: TenantID, points: [ObservedPoint]) {
        let batch = Batch(tenant: tenant, points: points)
        let values = batch.values
        guard self.queued.wrappingAdd(values, ordering: .relaxed).newValue <= self.limits.queuedValues else {
            self.queued.subtract(values, ordering: .relaxed)
            self.shed.add(values, ordering: .relaxed)
            return
        }
        switch self.continuation.yield(batch) {
        case .enqueued: break
        case .dropped(let dropped):
            self.queued.subtract(dropped.values, ordering: .relaxed)
            self.shed.add(dropped.values, ordering: .relaxed)
        case .terminated:
            self.queued.subtract(values, ordering: .relaxed)
            self.shed.add(values, ordering: .relaxed)
        @unknown default: break
        }
    }

    /// The latest anomalies of a twin, newest first.
    public func recentAnomalies(tenant: TenantID, twin: String) -> [AnomalyEvent] {
        self.recent.withLock { $0[TwinKey(tenant: tenant, twin: twin)] ?? [] }.reversed()
    }

    /// Drops what is known about a deleted twin (its detectors start afresh if it comes back).
    public func forget(tenant: TenantID, twin: String) {
        self.rul.forget(tenant: tenant, twin: twin)
        let key = TwinKey(tenant: tenant, twin: twin)
        _ = self.recent.withLock { $0.removeValue(forKey: key) }
        _ = self.forgotten.withLock { $0.insert(key) }
    }

    /// Ends the worker once the queue is drained.
    public func finish() { self.continuation.finish() }

    /// The worker: runs until ``finish()``.
    public func run() async {
        var detectors: [SeriesKey: FieldDetector] = [:]
        var relations: [TwinKey: RelationDetector] = [:]
        let clock = ContinuousClock()
        let share = min(max(self.limits.coreShare, 0.05), 1)
        var rest = Duration.zero
        for await batch in self.stream {
            // Rest in proportion to the work done before, to stay within the share of a core; what arrives
            // meanwhile waits in the queue or is shed.
            if rest > .milliseconds(1) { try? await Task.sleep(for: rest) }
            self.queued.subtract(batch.values, ordering: .relaxed)
            let started = clock.now
            defer { rest = share < 1 ? (clock.now - started) * ((1 - share) / share) : .zero }
            let forgotten = self.forgotten.withLock { set -> Set<TwinKey> in
                defer { set.removeAll() }
                return set
            }
            if !forgotten.isEmpty {
                detectors = detectors.filter { !forgotten.contains(TwinKey(tenant: $0.key.tenant, twin: $0.key.twin)) }
                for key in forgotten { relations.removeValue(forKey: key) }
            }
            for point in batch.points {
                let time = Double(point.timestamp) / 1e9
                let present = point.present
                var flagged: Set<String> = []
                var watched: [(field: WatchedField, value: Double)] = []
                for (field, value) in present {
                    if !field.alerts.isEmpty {
                        self.alerts.evaluate(tenant: batch.tenant, twin: point.twin, field: field.name, value: value, time: point.timestamp, rules: field.alerts)
                    }
                    guard let settings = field.anomaly else { continue }
                    watched.append((field, value))
                    let key = SeriesKey(tenant: batch.tenant, twin: point.twin, field: field.name)
                    let choice = FieldDetector.Choice(settings: settings)
                    if detectors[key]?.choice != choice {
                        guard detectors[key] != nil || detectors.count < self.limits.detectors else {
                            self.shed.add(1, ordering: .relaxed)
                            continue
                        }
                        detectors[key] = FieldDetector(choice)
                    }
                    // Mutated in place in the table (no copy of the detector's state per value).
                    let verdict = detectors[key]!.score(value, at: time)
                    if verdict.score >= (settings.threshold ?? 0.5) {
                        flagged.insert(field.name)
                        self.report(batch.tenant, point, field.name, value, verdict)
                    }
                }
                if point.model != nil, present.contains(where: \.field.feedsRUL), let update = self.rul.update(tenant: batch.tenant, point: point) {
                    self.onRUL(batch.tenant, point.twin, update)
                }
                self.scored.add(watched.count, ordering: .relaxed)
                // The relation model learns only from points that are normal field by field.
                if watched.count >= 2, flagged.isEmpty {
                    self.checkRelations(batch.tenant, point, watched, relations: &relations)
                }
            }
            self.detectorCount.store(detectors.count, ordering: .relaxed)
        }
    }

    private func checkRelations(
        _ tenant: TenantID, _ point: ObservedPoint, _ watched: [(field: WatchedField, value: Double)], relations: inout [TwinKey: RelationDetector]
    ) {
        let key = TwinKey(tenant: tenant, twin: point.twin)
        let byField = Dictionary(watched.map { ($0.field.name, $0) }, uniquingKeysWith: { first, _ in first })
        if relations[key] == nil {
            guard relations.count < self.limits.detectors, let created = RelationDetector(fields: byField.keys.sorted()) else { return }
            relations[key] = created
        }
        guard let fields = relations[key]?.fields else { return }
        let values = fields.compactMap { byField[$0]?.value }
        guard values.count == fields.count else { return }
        // Mutated in place in the table (no copy of its state per point).
        let verdicts = relations[key]!.score(values)
        for (index, verdict) in verdicts.enumerated() {
            guard let verdict, let observed = byField[fields[index]], verdict.score >= (observed.field.anomaly?.threshold ?? 0.5) else { continue }
            self.report(tenant, point, observed.field.name, observed.value, verdict)
        }
    }

    private func report(_ tenant: TenantID, _ point: ObservedPoint, _ field: String, _ value: Double, _ verdict: AnomalyScore) {
        let event = AnomalyEvent(
            tenant: tenant, twin: point.twin, field: field, time: point.timestamp, value: value,
            expectedLow: verdict.expectedLow.isFinite ? verdict.expectedLow : nil, expectedHigh: verdict.expectedHigh.isFinite ? verdict.expectedHigh : nil,
            score: verdict.score, kind: verdict.kind, severity: AnomalySeverity(score: verdict.score))
        self.found.add(1, ordering: .relaxed)
        let keep = self.limits.recentPerTwin
        self.recent.withLock { recent in
            var list = recent[TwinKey(tenant: tenant, twin: point.twin), default: []]
            list.append(event)
            if list.count > keep { list.removeFirst(list.count - keep) }
            recent[TwinKey(tenant: tenant, twin: point.twin)] = list
        }
        self.onAnomaly(event)
    }
}

/// The detector of one watched field: TwinGuard's own, or a baseline the model chose.
struct FieldDetector {
    enum Choice: Equatable {
        case adaptive(StreamingDetector.Configuration)
        case zscore
        case ewma

        init(settings: AnomalyDetectionSettings) {
            switch settings.detector {
            case "zscore": self = .zscore
            case "ewma": self = .ewma
            default: self = .adaptive(StreamingDetector.Configuration(settings: settings))
            }
        }
    }

    enum State {
        case adaptive(StreamingDetector)
        case zscore(RollingZScoreDetector)
        case ewma(EWMADetector)
        /// Held only while a detector is taken out to be mutated, so that its storage stays unique.
        case moving
    }

    let choice: Choice
    var state: State

    init(_ choice: Choice) {
        self.choice = choice
        switch choice {
        case .adaptive(let configuration): self.state = .adaptive(StreamingDetector(configuration: configuration))
        case .zscore: self.state = .zscore(RollingZScoreDetector())
        case .ewma: self.state = .ewma(EWMADetector())
        }
    }

    mutating func score(_ value: Double, at time: Double) -> AnomalyScore {
        switch self.state {
        case .adaptive(var detector):
            self.state = .moving
            defer { self.state = .adaptive(detector) }
            return detector.score(value, at: time)
        case .zscore(var detector):
            self.state = .moving
            defer { self.state = .zscore(detector) }
            return detector.score(value, at: time)
        case .ewma(var detector):
            self.state = .moving
            defer { self.state = .ewma(detector) }
            return detector.score(value, at: time)
        case .moving:
            return .none
        }
    }
}

extension StreamingDetector.Configuration {
    /// The detector settings of a model field.
    public init(settings: AnomalyDetectionSettings) {
        self.init(
            warmUp: settings.warmUp ?? 100, sensitivity: settings.sensitivity ?? 1, memory: settings.memory ?? 3000,
            seasonal: settings.seasonal ?? true)
    }
}
